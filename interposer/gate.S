/*
 * gate.S — the only syscall instructions the shim executes.
 *
 * Syscall User Dispatch lets syscalls through only when they are made from
 * [shim_gate_start, shim_gate_end]: everything in between is the shim's own
 * way into the kernel.  The SIGSYS restorer lives here too, because the
 * rt_sigreturn that ends the handler is itself a syscall.  The region must
 * include the byte after each syscall instruction, hence the trailing int3.
 */
#include "simsup/escape.h"
	.text
	.globl shim_gate_start, shim_syscall6, shim_gate_restorer, shim_gate_end
	.globl shim_clone_thread
	.hidden shim_gate_start, shim_syscall6, shim_gate_restorer, shim_gate_end
	.hidden shim_clone_thread
	.hidden shim_gate_marks
	.p2align 4
shim_gate_start:
/* long shim_syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5) */
	.type shim_syscall6, @function
shim_syscall6:
	/* unwind information: a cancellation acted on in a handler that
	 * interrupted a call made here unwinds through this frame */
	.cfi_startproc
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	mov 8(%rsp), %r9
	/* a call of include/simsup/escape.h's list (all of five arguments or
	 * fewer) carries the gate's mark in r9: the launcher's filter kills
	 * any process that makes one without it */
	cmp $512, %rax
	jae 2f
	lea shim_gate_marks(%rip), %r11
	cmpb $0, (%r11,%rax)
	je 2f
	movabs $SIM_GATE_MARK, %r9
2:	syscall
	ret
	.cfi_endproc
	.size shim_syscall6, .-shim_syscall6

/*
 * long shim_clone_thread(long nr, long a0, long a1, long a2, long a3, long a4,
 *                        const unsigned long *regs)
 *
 * Makes a clone/clone3 that creates a thread sharing our address space.  The
 * caller has pushed two words onto the child's stack: the address of
 * shim_thread_entry's argument and the entry itself, so the child, which
 * starts right after the syscall instruction with the new stack pointer,
 * pops into the shim's thread entry instead of the handler frame it cannot
 * use.  regs: unused registers to give the child (rbx rbp r12 r13 r14 r15).
 */
	.type shim_clone_thread, @function
shim_clone_thread:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %r10
	mov %r9, %r8
	movabs $SIM_GATE_MARK, %r9 /* clone and clone3 are marked */
	syscall
	test %rax, %rax
	jz 1f
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret
1:	/* child: stack is [entry][arg]... */
	pop %rax
	pop %rdi
	and $-16, %rsp
	call *%rax
	ud2
	.size shim_clone_thread, .-shim_clone_thread

/*
 * void shim_gate_resume_tp(const greg_t *gregs, unsigned long fs,
 *                          const uint64_t *mask)
 *
 * A new thread of a static program (interposer/tp.c) at its first turn: its
 * thread pointer first, then its signal mask (so a signal that was pending
 * runs its handler on the program's thread pointer), then its registers.
 */
	.globl shim_gate_resume_tp
	.hidden shim_gate_resume_tp, shim_resume
	.type shim_gate_resume_tp, @function
shim_gate_resume_tp:
	wrfsbase %rsi
	mov %rdi, %r15
	mov $14, %eax   /* rt_sigprocmask(SIG_SETMASK, mask, NULL, 8) */
	mov $2, %edi
	mov %rdx, %rsi
	xor %edx, %edx
	mov $8, %r10d
	syscall
	mov %r15, %rdi
	jmp shim_resume
	.size shim_gate_resume_tp, .-shim_gate_resume_tp

/* void shim_gate_setmask(const uint64_t *mask): rt_sigprocmask(SIG_SETMASK,
 * mask, NULL, 8) that any code may call, on any thread pointer (vdso.c) */
	.globl shim_gate_setmask
	.hidden shim_gate_setmask
	.type shim_gate_setmask, @function
shim_gate_setmask:
	mov %rdi, %rsi
	mov $2, %edi
	xor %edx, %edx
	mov $8, %r10d
	mov $14, %eax
	syscall
	ret
	.size shim_gate_setmask, .-shim_gate_setmask

	.type shim_gate_restorer, @function
shim_gate_restorer:
	mov $15, %eax   /* rt_sigreturn */
	syscall
shim_gate_end:
	int3
	.size shim_gate_restorer, .-shim_gate_restorer

/* void shim_resume(const greg_t *gregs): restores every general register
 * from a ucontext gregs array and jumps to its rip on its rsp.  Used once
 * per thread, at its first turn (shim/thread.c). */
	.globl shim_resume
	.type shim_resume, @function
shim_resume:
	mov 120(%rdi), %rsp  /* REG_RSP */
	push 128(%rdi)       /* REG_RIP, popped by ret */
	mov 0(%rdi), %r8
	mov 8(%rdi), %r9
	mov 16(%rdi), %r10
	mov 24(%rdi), %r11
	mov 32(%rdi), %r12
	mov 40(%rdi), %r13
	mov 48(%rdi), %r14
	mov 56(%rdi), %r15
	mov 72(%rdi), %rsi
	mov 80(%rdi), %rbp
	mov 88(%rdi), %rbx
	mov 96(%rdi), %rdx
	mov 104(%rdi), %rax
	mov 112(%rdi), %rcx
	mov 64(%rdi), %rdi
	ret
	.size shim_resume, .-shim_resume
	.section .note.GNU-stack,"",@progbits
