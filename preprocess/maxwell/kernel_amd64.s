//go:build amd64 && !purego

#include "textflag.h"

// func kern6x8(k int, a, b, c *float64, ldc int, add bool)
//
// C[i][j] (+)= sum_p a[6p+i] * b[8p+j] for i < 6, j < 8, with row i of C
// at c + i*ldc. AVX2 + FMA; 12 accumulators.
TEXT ·kern6x8(SB), NOSPLIT, $0-41
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $3, R8
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	TESTQ CX, CX
	JEQ   done

loop:
	VMOVUPD      (BX), Y12
	VMOVUPD      32(BX), Y13
	VBROADCASTSD (AX), Y14
	VFMADD231PD  Y12, Y14, Y0
	VFMADD231PD  Y13, Y14, Y1
	VBROADCASTSD 8(AX), Y15
	VFMADD231PD  Y12, Y15, Y2
	VFMADD231PD  Y13, Y15, Y3
	VBROADCASTSD 16(AX), Y14
	VFMADD231PD  Y12, Y14, Y4
	VFMADD231PD  Y13, Y14, Y5
	VBROADCASTSD 24(AX), Y15
	VFMADD231PD  Y12, Y15, Y6
	VFMADD231PD  Y13, Y15, Y7
	VBROADCASTSD 32(AX), Y14
	VFMADD231PD  Y12, Y14, Y8
	VFMADD231PD  Y13, Y14, Y9
	VBROADCASTSD 40(AX), Y15
	VFMADD231PD  Y12, Y15, Y10
	VFMADD231PD  Y13, Y15, Y11
	ADDQ         $48, AX
	ADDQ         $64, BX
	DECQ         CX
	JNE          loop

done:
	MOVBLZX add+40(FP), R9
	TESTQ   R9, R9
	JEQ     store
	VADDPD  (DX), Y0, Y0
	VADDPD  32(DX), Y1, Y1
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y2, Y2
	VADDPD  32(DX), Y3, Y3
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y4, Y4
	VADDPD  32(DX), Y5, Y5
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y6, Y6
	VADDPD  32(DX), Y7, Y7
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y8, Y8
	VADDPD  32(DX), Y9, Y9
	VMOVUPD Y8, (DX)
	VMOVUPD Y9, 32(DX)
	ADDQ    R8, DX
	VADDPD  (DX), Y10, Y10
	VADDPD  32(DX), Y11, Y11
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET

store:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y2, (DX)
	VMOVUPD Y3, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y4, (DX)
	VMOVUPD Y5, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y6, (DX)
	VMOVUPD Y7, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y8, (DX)
	VMOVUPD Y9, 32(DX)
	ADDQ    R8, DX
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET

// Byte order reversal of each 32-bit lane (VPSHUFB mask).
DATA bswap32<>+0(SB)/8, $0x0405060700010203
DATA bswap32<>+8(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap32<>(SB), RODATA|NOPTR, $16

// func encF32x4(dst *byte, frame int, src *float64, ld int, cals *float64, nblk int)
//
// For 4 channels (rows src, src+ld, src+2ld, src+3ld) and 4*nblk samples:
// the big-endian float32 of src[i*ld+s] / cals[i], channel i of sample s
// stored at dst + s*frame + 4i. The division and the conversion are the
// IEEE operations of DIVSD and CVTSD2SS, lane by lane.
TEXT ·encF32x4(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ frame+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ ld+24(FP), R9
	MOVQ cals+32(FP), AX
	MOVQ nblk+40(FP), CX
	SHLQ $3, R9
	VBROADCASTSD (AX), Y12
	VBROADCASTSD 8(AX), Y13
	VBROADCASTSD 16(AX), Y14
	VBROADCASTSD 24(AX), Y15
	VMOVDQU bswap32<>(SB), X11
	LEAQ (SI)(R9*1), R10      // row 1
	LEAQ (R10)(R9*1), R11     // row 2
	LEAQ (R11)(R9*1), R12     // row 3
	LEAQ (R8)(R8*2), R13      // 3 frames
	TESTQ CX, CX
	JEQ   encdone

encloop:
	VMOVUPD (SI), Y0
	VMOVUPD (R10), Y1
	VMOVUPD (R11), Y2
	VMOVUPD (R12), Y3
	VDIVPD  Y12, Y0, Y0
	VDIVPD  Y13, Y1, Y1
	VDIVPD  Y14, Y2, Y2
	VDIVPD  Y15, Y3, Y3
	VCVTPD2PSY Y0, X0
	VCVTPD2PSY Y1, X1
	VCVTPD2PSY Y2, X2
	VCVTPD2PSY Y3, X3
	VUNPCKLPS X1, X0, X4      // c0s0 c1s0 c0s1 c1s1
	VUNPCKHPS X1, X0, X5      // c0s2 c1s2 c0s3 c1s3
	VUNPCKLPS X3, X2, X6      // c2s0 c3s0 c2s1 c3s1
	VUNPCKHPS X3, X2, X7      // c2s2 c3s2 c2s3 c3s3
	VUNPCKLPD X6, X4, X0      // sample 0: c0 c1 c2 c3
	VUNPCKHPD X6, X4, X1      // sample 1
	VUNPCKLPD X7, X5, X2      // sample 2
	VUNPCKHPD X7, X5, X3      // sample 3
	VPSHUFB X11, X0, X0
	VPSHUFB X11, X1, X1
	VPSHUFB X11, X2, X2
	VPSHUFB X11, X3, X3
	VMOVDQU X0, (DI)
	VMOVDQU X1, (DI)(R8*1)
	VMOVDQU X2, (DI)(R8*2)
	VMOVDQU X3, (DI)(R13*1)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	LEAQ (DI)(R8*4), DI
	DECQ CX
	JNE  encloop

encdone:
	VZEROUPPER
	RET

// func packRow8(dst *float64, stride int, src *float64, nsub int, pf *float64)
//
// Copies 8*nsub consecutive values of src in groups of 8 to dst,
// dst+stride, dst+2*stride, ... (stride in float64s), and prefetches as
// many bytes from pf (the next row to pack) into the cache on the way.
TEXT ·packRow8(SB), NOSPLIT, $0-40
	MOVQ dst+0(FP), DI
	MOVQ stride+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ nsub+24(FP), CX
	MOVQ pf+32(FP), AX
	SHLQ $3, R8
	TESTQ CX, CX
	JEQ   packdone

packloop:
	PREFETCHT0 (AX)
	VMOVUPD    (SI), Y0
	VMOVUPD    32(SI), Y1
	VMOVUPD    Y0, (DI)
	VMOVUPD    Y1, 32(DI)
	ADDQ       $64, AX
	ADDQ       $64, SI
	ADDQ       R8, DI
	DECQ       CX
	JNE        packloop

packdone:
	VZEROUPPER
	RET
