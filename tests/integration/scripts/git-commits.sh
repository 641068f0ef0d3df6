#!/bin/sh
# Three git commits a virtual second apart in the storage dir (test_foundation:
# file times and git hashes follow the seed).
set -e
export HOME=$PWD GIT_CONFIG_NOSYSTEM=1
git init -q repo && cd repo
git config user.email a@b.c && git config user.name sim
for i in 1 2 3; do echo "line $i" >> file; git add file; git commit -qm "commit $i"; sleep 1; done
git log --format='%H %ad' --date=iso
git status --short
