;; The Adam update as a 4-lane WebAssembly SIMD loop; simd-adam.ts instantiates it on the wasm backend's memory.
;; `npm run build` compiles it with wabt (scripts/compile-wat.mjs) to dist/src/backend/kernels/simd-adam.wasm.
;;
;; adam(p, g, m, v, mout, vout, out, n, b1, a1, b2, a2, step, c2, eps, tgm, tgv, tm, tv): for each i < n rounded
;; down to a multiple of 4, four lanes at a time (the caller does the last n mod 4 elements):
;;   gm = |g| >= tgm ? g : 0;  gv = |g| >= tgv ? g : 0
;;   m' = b1 m + a1 gm, then 0 where |m'| < tm;  v' = b2 v + (a2 gv) gv, then 0 where v' < tv
;;   mout = m';  vout = v';  out = p - step m' / (sqrt(c2 v') + eps)
;; p to out are byte offsets of float32 arrays of n elements in the memory; a1 = 1 - b1, a2 = 1 - b2,
;; step = lr / (1 - b1^t), c2 = 1 / (1 - b2^t) (adam.ts). The thresholds t* keep every term a normal float32
;; (simd-adam.ts says why). A lane is zeroed by a mask rather than a branch: f32x4.ge gives all ones where the
;; lane passes, and v128.and keeps those lanes.
;;
;; test/simd-adam.test.ts checks that wabt emits the very bytes the former hand assembler did, so the order of
;; the locals and of the operands below is the one it used.
(module
  ;; tfjs-backend-wasm's heap, so that tensors are read and written where they are, with no copy.
  (import "env" "memory" (memory 1))
  (func $adam (export "adam")
    (param $p i32) (param $g i32) (param $m i32) (param $v i32) (param $mout i32) (param $vout i32)
    (param $out i32) (param $n i32)
    (param $b1 f32) (param $a1 f32) (param $b2 f32) (param $a2 f32) (param $step f32) (param $c2 f32)
    (param $eps f32) (param $tgm f32) (param $tgv f32) (param $tm f32) (param $tv f32)
    ;; Byte offsets into every array: $i runs from 0 to $end in steps of 16 (four float32s).
    (local $i i32) (local $end i32)
    ;; The eleven f32 parameters in four lanes each, splatted once before the loop.
    (local $b1x4 v128) (local $a1x4 v128) (local $b2x4 v128) (local $a2x4 v128) (local $stepx4 v128)
    (local $c2x4 v128) (local $epsx4 v128) (local $tgmx4 v128) (local $tgvx4 v128) (local $tmx4 v128)
    (local $tvx4 v128)
    ;; This iteration's four gradients, the two masked copies of them, and the new moments.
    (local $gx4 v128) (local $gmx4 v128) (local $gvx4 v128) (local $mx4 v128) (local $vx4 v128)
    (local.set $b1x4 (f32x4.splat (local.get $b1)))
    (local.set $a1x4 (f32x4.splat (local.get $a1)))
    (local.set $b2x4 (f32x4.splat (local.get $b2)))
    (local.set $a2x4 (f32x4.splat (local.get $a2)))
    (local.set $stepx4 (f32x4.splat (local.get $step)))
    (local.set $c2x4 (f32x4.splat (local.get $c2)))
    (local.set $epsx4 (f32x4.splat (local.get $eps)))
    (local.set $tgmx4 (f32x4.splat (local.get $tgm)))
    (local.set $tgvx4 (f32x4.splat (local.get $tgv)))
    (local.set $tmx4 (f32x4.splat (local.get $tm)))
    (local.set $tvx4 (f32x4.splat (local.get $tv)))
    ;; (n & ~3) * 4 bytes: the whole groups of four.
    (local.set $end (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; align=1 on every load and store: a tensor starts at any multiple of 4 bytes, not of 16.
        (local.set $gx4 (v128.load align=1 (i32.add (local.get $g) (local.get $i))))
        (local.set $gmx4 (v128.and (local.get $gx4) (f32x4.ge (f32x4.abs (local.get $gx4)) (local.get $tgmx4))))
        (local.set $gvx4 (v128.and (local.get $gx4) (f32x4.ge (f32x4.abs (local.get $gx4)) (local.get $tgvx4))))
        (local.set $mx4
          (f32x4.add
            (f32x4.mul (v128.load align=1 (i32.add (local.get $m) (local.get $i))) (local.get $b1x4))
            (f32x4.mul (local.get $a1x4) (local.get $gmx4))))
        (local.set $mx4 (v128.and (local.get $mx4) (f32x4.ge (f32x4.abs (local.get $mx4)) (local.get $tmx4))))
        (local.set $vx4
          (f32x4.add
            (f32x4.mul (v128.load align=1 (i32.add (local.get $v) (local.get $i))) (local.get $b2x4))
            (f32x4.mul (f32x4.mul (local.get $a2x4) (local.get $gvx4)) (local.get $gvx4))))
        ;; v' >= 0, so no f32x4.abs here.
        (local.set $vx4 (v128.and (local.get $vx4) (f32x4.ge (local.get $vx4) (local.get $tvx4))))
        (v128.store align=1 (i32.add (local.get $mout) (local.get $i)) (local.get $mx4))
        (v128.store align=1 (i32.add (local.get $vout) (local.get $i)) (local.get $vx4))
        (v128.store align=1 (i32.add (local.get $out) (local.get $i))
          (f32x4.sub
            (v128.load align=1 (i32.add (local.get $p) (local.get $i)))
            (f32x4.div
              (f32x4.mul (local.get $stepx4) (local.get $mx4))
              (f32x4.add (f32x4.sqrt (f32x4.mul (local.get $vx4) (local.get $c2x4))) (local.get $epsx4)))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))))
