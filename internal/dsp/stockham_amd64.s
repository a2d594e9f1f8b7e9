//go:build amd64 && !purego

#include "textflag.h"

// Sign bits of the real parts of two complex values: XOR after swapping
// real and imaginary parts multiplies by i.
DATA signre<>+0(SB)/8, $0x8000000000000000
DATA signre<>+8(SB)/8, $0
DATA signre<>+16(SB)/8, $0x8000000000000000
DATA signre<>+24(SB)/8, $0
GLOBL signre<>(SB), RODATA|NOPTR, $32

// func radix4AVX(dst, src *complex128, k, sq int, w *complex128)
TEXT ·radix4AVX(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ k+16(FP), CX
	MOVQ sq+24(FP), DX
	MOVQ w+32(FP), AX
	SHLQ $4, DX
	MOVQ CX, BX
	SHLQ $4, BX
	VBROADCASTSD 0(AX), Y10
	VBROADCASTSD 8(AX), Y11
	VBROADCASTSD 16(AX), Y12
	VBROADCASTSD 24(AX), Y13
	VBROADCASTSD 32(AX), Y14
	VBROADCASTSD 40(AX), Y15
	VMOVUPD signre<>(SB), Y9
	LEAQ (SI)(DX*1), R8
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (DI)(BX*1), R11
	LEAQ (R11)(BX*1), R12
	LEAQ (R12)(BX*1), R13
	XORQ R14, R14
	SHRQ $1, CX
	JZ done

loop:
	VMOVUPD (SI)(R14*1), Y0
	VMOVUPD (R8)(R14*1), Y1
	VMOVUPD (R9)(R14*1), Y2
	VMOVUPD (R10)(R14*1), Y3
	VADDPD Y2, Y0, Y4 // apc = a + c
	VSUBPD Y2, Y0, Y5 // amc = a - c
	VADDPD Y3, Y1, Y6 // bpd = b + d
	VSUBPD Y3, Y1, Y7 // bmd = b - d
	VPERMILPD $5, Y7, Y7
	VXORPD Y9, Y7, Y7 // jbmd = i·bmd
	VADDPD Y6, Y4, Y0 // out0 = apc + bpd
	VMOVUPD Y0, (DI)(R14*1)
	VSUBPD Y7, Y5, Y1 // t1 = amc - jbmd
	VSUBPD Y6, Y4, Y2 // t2 = apc - bpd
	VADDPD Y7, Y5, Y3 // t3 = amc + jbmd

	// out1 = t1·w1: (re·wr - im·wi, im·wr + re·wi)
	VPERMILPD $5, Y1, Y4
	VMULPD Y10, Y1, Y1
	VMULPD Y11, Y4, Y4
	VADDSUBPD Y4, Y1, Y1
	VMOVUPD Y1, (R11)(R14*1)

	VPERMILPD $5, Y2, Y4
	VMULPD Y12, Y2, Y2
	VMULPD Y13, Y4, Y4
	VADDSUBPD Y4, Y2, Y2
	VMOVUPD Y2, (R12)(R14*1)

	VPERMILPD $5, Y3, Y4
	VMULPD Y14, Y3, Y3
	VMULPD Y15, Y4, Y4
	VADDSUBPD Y4, Y3, Y3
	VMOVUPD Y3, (R13)(R14*1)

	ADDQ $32, R14
	DECQ CX
	JNZ loop

done:
	VZEROUPPER
	RET
