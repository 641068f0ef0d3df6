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

	.type shim_gate_restorer, @function
shim_gate_restorer:
	mov $15, %eax   /* rt_sigreturn */
	syscall
shim_gate_end:
	int3
	.size shim_gate_restorer, .-shim_gate_restorer
	.section .note.GNU-stack,"",@progbits
