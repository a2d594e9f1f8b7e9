//go:build amd64 && !purego

#include "textflag.h"

// func norm3AVX(a, b, c, out *float32, n int)
TEXT ·norm3AVX(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ c+16(FP), DX
	MOVQ out+24(FP), BX
	MOVQ n+32(FP), CX
	XORQ AX, AX

loop:
	CMPQ AX, CX
	JGE  done
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS (DI)(AX*4), Y1
	VMOVUPS (DX)(AX*4), Y2
	VMULPS  Y0, Y0, Y0
	VMULPS  Y1, Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMULPS  Y2, Y2, Y2
	VADDPS  Y2, Y0, Y0
	VSQRTPS Y0, Y0
	VMOVUPS Y0, (BX)(AX*4)
	ADDQ    $8, AX
	JMP     loop

done:
	VZEROUPPER
	RET
