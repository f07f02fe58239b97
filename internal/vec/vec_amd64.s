//go:build !purego

#include "textflag.h"

// One tile of MatMul: four rows of out (Y0,Y1 | Y2,Y3 | Y4,Y5 | Y6,Y7, eight
// columns each) summed over the d rows of y. Y8, Y9 hold a row of y's eight
// columns, Y10 one row's x_l broadcast, Y11 the rounded product before it is
// added.
#define STEP(xoff, acc0, acc1) \
	VBROADCASTSD xoff, Y10 \
	VMULPD       Y8, Y10, Y11 \
	VADDPD       Y11, acc0, acc0 \
	VMULPD       Y9, Y10, Y11 \
	VADDPD       Y11, acc1, acc1

// The row functions keep sixteen columns of one vector (y, or s) in Y0…Y3
// while they run over the row indices. ROWS_ARGS loads their common
// arguments (vector, w, ldw, idx, val, n, rows) and the vector.
#define ROWS_ARGS \
	MOVQ    vec+0(FP), DI       \
	MOVQ    w+8(FP), SI         \
	MOVQ    ldw+16(FP), R8      \
	SHLQ    $3, R8              \
	MOVQ    idx+24(FP), DX      \
	MOVQ    val+32(FP), BX      \
	MOVQ    n+40(FP), CX        \
	MOVQ    rows+48(FP), R10    \
	VMOVUPD (DI), Y0            \
	VMOVUPD 32(DI), Y1          \
	VMOVUPD 64(DI), Y2          \
	VMOVUPD 96(DI), Y3

// GATHER adds column group off (bytes) of row AX of w, times the scale in
// Y4, to acc; SCATTER adds acc times the scale to that group of row R9.
#define GATHER(off, acc, tmp) \
	VMULPD off(SI)(AX*1), Y4, tmp \
	VADDPD tmp, acc, acc

#define SCATTER(off, acc, tmp) \
	VMULPD  acc, Y4, tmp    \
	VADDPD  off(R9), tmp, tmp \
	VMOVUPD tmp, off(R9)

// ROW_INDEX loads the next row index into AX as a byte offset from w (R8:
// ldw in bytes), or leaves for rowsBad if it lies outside 0 … rows−1 (R10;
// a negative index is huge as unsigned); DX walks idx.
#define ROW_INDEX \
	MOVLQSX (DX), AX \
	CMPQ    AX, R10  \
	JCC     rowsBad  \
	IMULQ   R8, AX   \
	ADDQ    $4, DX

// ROWS_RETURN ends a row function: ok, or not at rowsBad.
#define ROWS_RETURN \
	VZEROUPPER         \
	MOVB $1, ok+56(FP) \
	RET                \
rowsBad:               \
	VZEROUPPER         \
	MOVB $0, ok+56(FP) \
	RET

// tailMask+8·(3−t) holds four lanes whose first t (1 … 3) have the sign bit
// set: VMASKMOVPD's mask for the last t columns of a row.
DATA tailMask<>+0(SB)/8, $-1
DATA tailMask<>+8(SB)/8, $-1
DATA tailMask<>+16(SB)/8, $-1
DATA tailMask<>+24(SB)/8, $0
DATA tailMask<>+32(SB)/8, $0
DATA tailMask<>+40(SB)/8, $0
DATA tailMask<>+48(SB)/8, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $56

// func tileAVX(out *float64, ldd int, x *float64, ldx, d int, y *float64, ldy, blocks int)
TEXT ·tileAVX(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ ldd+8(FP), R8
	SHLQ $3, R8             // R8: out row stride in bytes
	MOVQ x+16(FP), SI
	MOVQ ldx+24(FP), R10
	SHLQ $3, R10            // R10: x row stride in bytes
	LEAQ (R10)(R10*2), R14  // R14: three x rows
	MOVQ d+32(FP), DX
	MOVQ y+40(FP), BX
	MOVQ ldy+48(FP), CX
	SHLQ $3, CX             // CX: y row stride in bytes
	MOVQ blocks+56(FP), R9

block:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   BX, R11          // row l of y, this block's columns
	MOVQ   SI, R12          // x[0·ldx + l]
	MOVQ   DX, R13          // steps left

step:
	VMOVUPD (R11), Y8
	VMOVUPD 32(R11), Y9
	STEP((R12), Y0, Y1)
	STEP((R12)(R10*1), Y2, Y3)
	STEP((R12)(R10*2), Y4, Y5)
	STEP((R12)(R14*1), Y6, Y7)
	ADDQ    CX, R11
	ADDQ    $8, R12
	DECQ    R13
	JNZ     step

	MOVQ    DI, AX
	VMOVUPD Y0, (AX)
	VMOVUPD Y1, 32(AX)
	ADDQ    R8, AX
	VMOVUPD Y2, (AX)
	VMOVUPD Y3, 32(AX)
	ADDQ    R8, AX
	VMOVUPD Y4, (AX)
	VMOVUPD Y5, 32(AX)
	ADDQ    R8, AX
	VMOVUPD Y6, (AX)
	VMOVUPD Y7, 32(AX)

	ADDQ $64, DI            // next eight columns
	ADDQ $64, BX
	DECQ R9
	JNZ  block

	VZEROUPPER
	RET

// func addScaledAVX(dst *float64, alpha float64, s *float64, n int)
TEXT ·addScaledAVX(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	VBROADCASTSD alpha+8(FP), Y15
	MOVQ         s+16(FP), SI
	MOVQ         n+24(FP), CX

axpy16:
	CMPQ    CX, $16
	JL      axpy4
	VMULPD  (SI), Y15, Y0
	VMULPD  32(SI), Y15, Y1
	VMULPD  64(SI), Y15, Y2
	VMULPD  96(SI), Y15, Y3
	VADDPD  (DI), Y0, Y0
	VADDPD  32(DI), Y1, Y1
	VADDPD  64(DI), Y2, Y2
	VADDPD  96(DI), Y3, Y3
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, SI
	SUBQ    $16, CX
	JMP     axpy16

axpy4:
	CMPQ    CX, $4
	JL      axpy1
	VMULPD  (SI), Y15, Y0
	VADDPD  (DI), Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $4, CX
	JMP     axpy4

axpy1:
	TESTQ  CX, CX
	JE     axpyDone
	VMULSD (SI), X15, X0
	VADDSD (DI), X0, X0
	VMOVSD X0, (DI)
	ADDQ   $8, DI
	ADDQ   $8, SI
	DECQ   CX
	JMP    axpy1

axpyDone:
	VZEROUPPER
	RET

// func addRowsScaledAVX(vec, w *float64, ldw int, idx *int32, val *float64, n, rows int) (ok bool)
TEXT ·addRowsScaledAVX(SB), NOSPLIT, $0-57
	ROWS_ARGS

gatherRow:
	ROW_INDEX
	VBROADCASTSD (BX), Y4
	GATHER(0, Y0, Y5)
	GATHER(32, Y1, Y6)
	GATHER(64, Y2, Y7)
	GATHER(96, Y3, Y8)
	ADDQ         $8, BX
	DECQ         CX
	JNZ          gatherRow

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ROWS_RETURN

// func addScaledToRowsAVX(vec, w *float64, ldw int, idx *int32, val *float64, n, rows int) (ok bool)
TEXT ·addScaledToRowsAVX(SB), NOSPLIT, $0-57
	ROWS_ARGS

scatterRow:
	ROW_INDEX
	LEAQ         (SI)(AX*1), R9 // R9: row idx[k]
	VBROADCASTSD (BX), Y4
	SCATTER(0, Y0, Y5)
	SCATTER(32, Y1, Y6)
	SCATTER(64, Y2, Y7)
	SCATTER(96, Y3, Y8)
	ADDQ         $8, BX
	DECQ         CX
	JNZ          scatterRow
	ROWS_RETURN

// func adamAVX(a *Adam, p, grad, m, v *float64, n int)
TEXT ·adamAVX(SB), NOSPLIT, $0-48
	MOVQ         a+0(FP), AX
	VBROADCASTSD 0(AX), Y8   // B1
	VBROADCASTSD 8(AX), Y9   // OneMinusB1
	VBROADCASTSD 16(AX), Y10 // B2
	VBROADCASTSD 24(AX), Y11 // OneMinusB2
	VBROADCASTSD 32(AX), Y12 // C1
	VBROADCASTSD 40(AX), Y13 // C2
	VBROADCASTSD 48(AX), Y14 // LR
	VBROADCASTSD 56(AX), Y15 // Eps
	MOVQ         p+8(FP), DI
	MOVQ         grad+16(FP), SI
	MOVQ         m+24(FP), DX
	MOVQ         v+32(FP), BX
	MOVQ         n+40(FP), CX

adamStep:
	VMOVUPD (SI), Y0        // g
	VMULPD  (DX), Y8, Y1    // B1·m
	VMULPD  Y0, Y9, Y2      // OneMinusB1·g
	VADDPD  Y2, Y1, Y1      // m
	VMOVUPD Y1, (DX)
	VMULPD  (BX), Y10, Y2   // B2·v
	VMULPD  Y0, Y11, Y3     // OneMinusB2·g
	VMULPD  Y0, Y3, Y3      // (OneMinusB2·g)·g
	VADDPD  Y3, Y2, Y2      // v
	VMOVUPD Y2, (BX)
	VDIVPD  Y12, Y1, Y1     // m/C1
	VMULPD  Y1, Y14, Y1     // LR·(m/C1)
	VDIVPD  Y13, Y2, Y2     // v/C2
	VSQRTPD Y2, Y2
	VADDPD  Y15, Y2, Y2     // √(v/C2) + Eps
	VDIVPD  Y2, Y1, Y1
	VMOVUPD (DI), Y3
	VSUBPD  Y1, Y3, Y3      // p − …
	VMOVUPD Y3, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	SUBQ    $4, CX
	JNZ     adamStep

	VZEROUPPER
	RET

// func addRowsAVX(y, w *float64, ldw int, idx *int32, n, rows, width int) (ok bool)
//
// The columns go in groups, each summed over all the rows in registers: 48
// at a time (Y0…Y11, twelve independent sums, so the adds do not wait on
// each other), then 4 at a time, then the last 1 … 3 under a mask.
TEXT ·addRowsAVX(SB), NOSPLIT, $0-57
	MOVQ y+0(FP), DI
	MOVQ w+8(FP), SI
	MOVQ ldw+16(FP), R8
	SHLQ $3, R8              // R8: w row stride in bytes
	MOVQ rows+40(FP), R10
	MOVQ width+48(FP), R11   // columns left

group48:
	CMPQ    R11, $48
	JL      group4
	MOVQ    idx+24(FP), DX
	MOVQ    n+32(FP), CX
	VMOVUPD (DI), Y0
	VMOVUPD 32(DI), Y1
	VMOVUPD 64(DI), Y2
	VMOVUPD 96(DI), Y3
	VMOVUPD 128(DI), Y4
	VMOVUPD 160(DI), Y5
	VMOVUPD 192(DI), Y6
	VMOVUPD 224(DI), Y7
	VMOVUPD 256(DI), Y8
	VMOVUPD 288(DI), Y9
	VMOVUPD 320(DI), Y10
	VMOVUPD 352(DI), Y11

row48:
	ROW_INDEX
	VADDPD (SI)(AX*1), Y0, Y0
	VADDPD 32(SI)(AX*1), Y1, Y1
	VADDPD 64(SI)(AX*1), Y2, Y2
	VADDPD 96(SI)(AX*1), Y3, Y3
	VADDPD 128(SI)(AX*1), Y4, Y4
	VADDPD 160(SI)(AX*1), Y5, Y5
	VADDPD 192(SI)(AX*1), Y6, Y6
	VADDPD 224(SI)(AX*1), Y7, Y7
	VADDPD 256(SI)(AX*1), Y8, Y8
	VADDPD 288(SI)(AX*1), Y9, Y9
	VADDPD 320(SI)(AX*1), Y10, Y10
	VADDPD 352(SI)(AX*1), Y11, Y11
	DECQ   CX
	JNZ    row48

	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	VMOVUPD Y4, 128(DI)
	VMOVUPD Y5, 160(DI)
	VMOVUPD Y6, 192(DI)
	VMOVUPD Y7, 224(DI)
	VMOVUPD Y8, 256(DI)
	VMOVUPD Y9, 288(DI)
	VMOVUPD Y10, 320(DI)
	VMOVUPD Y11, 352(DI)
	ADDQ    $384, DI
	ADDQ    $384, SI
	SUBQ    $48, R11
	JMP     group48

group4:
	CMPQ    R11, $4
	JL      groupTail
	MOVQ    idx+24(FP), DX
	MOVQ    n+32(FP), CX
	VMOVUPD (DI), Y0

row4:
	ROW_INDEX
	VADDPD (SI)(AX*1), Y0, Y0
	DECQ   CX
	JNZ    row4

	VMOVUPD Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	SUBQ    $4, R11
	JMP     group4

groupTail:
	TESTQ      R11, R11
	JE         rowsDone
	LEAQ       tailMask<>+24(SB), BX
	SHLQ       $3, R11
	SUBQ       R11, BX               // BX: the mask of the last R11/8 columns
	VMOVUPD    (BX), Y15
	MOVQ       idx+24(FP), DX
	MOVQ       n+32(FP), CX
	VMASKMOVPD (DI), Y15, Y0

rowTail:
	ROW_INDEX
	VMASKMOVPD (SI)(AX*1), Y15, Y1
	VADDPD     Y1, Y0, Y0
	DECQ       CX
	JNZ        rowTail

	VMASKMOVPD Y0, Y15, (DI)

rowsDone:
	ROWS_RETURN
