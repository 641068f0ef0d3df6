# bash completion for simsup(1)                              -*- shell-script -*-
#
# Completes simsup's options (the list of `simsup --help` and the man page;
# tests/integration/test_docs_options.c checks that the three agree), file and
# directory names for the options that take them, and, after `--` or the
# first word that is not an option, the command to simulate: through
# bash-completion's _command_offset when bash-completion is loaded (it
# loads this file), else command and file names.  Without bash-completion
# it needs nothing but bash.

_simsup()
{
	# the options whose argument is the next word, as --help shows them;
	# a lone = or : is what is left of an argument split at
	# COMP_WORDBREAKS (without bash-completion), and the word after it is
	# argument too
	local with_arg=' --procs --tag --seed --time-limit --run-dir --epoch
		--tick --preempt --cpus --watchdog --workload --reboot --durability --disk --disk-size
		--partition --clock --net-fault --chaos-duration --latency --seeds --iterations
		-j --jobs --shard --budget --junit --timeline --pcap --summary = : '
	local cur prev words cword i
	if declare -F _init_completion >/dev/null; then
		# keep --tag k=a,b and --latency 1ms:2ms one word each
		_init_completion -n =: || return
	else
		words=("${COMP_WORDS[@]}")
		cword=$COMP_CWORD
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
	fi

	# The command starts after -- or at the first word that is neither an
	# option nor an option's argument.
	for ((i = 1; i < cword; i++)); do
		if [[ ${words[i]} == -- ]]; then
			break
		elif [[ $with_arg == *[[:space:]]"${words[i]}"[[:space:]]* ]]; then
			((i++))
		elif [[ ${words[i]} != -* ]]; then
			break
		fi
	done
	if ((i < cword)); then
		[[ ${words[i]} == -- ]] && ((i++))
		if ((i < cword)) && declare -F _command_offset >/dev/null; then
			_command_offset "$i"
		elif ((i == cword)); then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		else
			compopt -o filenames
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return
	fi

	case $prev in
	--run-dir)
		compopt -o filenames
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	--junit | --timeline | --pcap | --summary)
		compopt -o filenames
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	esac
	# any other argument is a value only the user knows
	[[ $with_arg == *[[:space:]]"$prev"[[:space:]]* ]] && return

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W '--procs --tag --seed --time-limit
			--run-dir --keep --epoch --tick --preempt --cpus --watchdog --workload
			--reboot --durability --disk --disk-size --partition --clock --net-fault
			--chaos --chaos= --chaos-duration --servers-may-exit --latency
			--check-determinism --minimize --minimize=match: --verbose --quiet --help
			--version --seeds --iterations --jobs --shard --fail-fast --budget --junit
			--timeline --pcap --summary -v -q -h -j
			--' -- "$cur")
		# --chaos= and --minimize=match: take their value in the same word
		[[ ${#COMPREPLY[@]} == 1 && ${COMPREPLY[0]} == *[=:] ]] && compopt -o nospace
	else
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
	fi
} &&
	complete -F _simsup simsup
