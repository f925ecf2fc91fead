;; The passes of the fused LSTM step (lstm-rows.ts) over one row of a batch, and the activations of the fused cells
;; (sigmoid and tanh in place, after the other functions), four lanes at a time, on the wasm
;; backend's memory: JavaScript runs these loops at 2-3 ns an element on our machines, f32x4 at a fraction of that.
;; simd-cells.ts instantiates the module; `npm run build` compiles it with wabt (scripts/compile-wat.mjs).
;;
;; Pointers are byte offsets of float32 arrays; n is a multiple of 4 (the caller takes the JavaScript loops
;; otherwise). Sums that feed a mean or a variance are taken in float64 (f64x2 lanes), as the JavaScript loops take
;; them: a row whose values are all equal then has a mean equal to them and a deviation of exactly 0. The sums of the
;; layer-norm backward pass are float32 lanes added in float64. align=1 throughout: rows start at any multiple of 4
;; bytes.
(module
  (import "env" "memory" (memory 1))

  ;; The two float64 halves of four float32 lanes, added to an f64x2 accumulator.
  (func $acc64 (param $acc v128) (param $v v128) (result v128)
    (f64x2.add
      (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))

  (func $hsum64 (param $acc v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  (func $hsum32 (param $v v128) (result f64)
    (f64.add
      (f64.add (f64.promote_f32 (f32x4.extract_lane 0 (local.get $v))) (f64.promote_f32 (f32x4.extract_lane 1 (local.get $v))))
      (f64.add (f64.promote_f32 (f32x4.extract_lane 2 (local.get $v))) (f64.promote_f32 (f32x4.extract_lane 3 (local.get $v))))))

  ;; sum(p, n): the sum of x, in float64.
  (func $sum (export "sum") (param $p i32) (param $n i32) (result f64)
    (local $end i32) (local $acc v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $acc (call $acc64 (local.get $acc) (v128.load align=1 (local.get $p))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (call $hsum64 (local.get $acc)))

  ;; ssd(p, n, mean): the sum of (x - mean)^2, in float64.
  (func $ssd (export "ssd") (param $p i32) (param $n i32) (param $mean f64) (result f64)
    (local $end i32) (local $acc v128) (local $m v128) (local $v v128) (local $d v128)
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $m (f64x2.splat (local.get $mean)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $v (v128.load align=1 (local.get $p)))
      (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $m)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $d) (local.get $d))))
      (local.set $d (f64x2.sub
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
        (local.get $m)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $d) (local.get $d))))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br $next)))
    (call $hsum64 (local.get $acc)))

  ;; lnPre(out, hp, xp, vec, n, mh, rh, mx, rx): out = (hp - mh) rh gh + bh + (xp - mx) rx gx + bx + b, where vec
  ;; holds b, gh, bh, gx, bx, n values each.
  (func $lnPre (export "lnPre") (param $out i32) (param $hp i32) (param $xp i32) (param $vec i32) (param $n i32)
    (param $mh f32) (param $rh f32) (param $mx f32) (param $rx f32)
    (local $i i32) (local $end i32) (local $stride i32) (local $v i32)
    (local $mh4 v128) (local $rh4 v128) (local $mx4 v128) (local $rx4 v128)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (local.get $stride))
    (local.set $mh4 (f32x4.splat (local.get $mh)))
    (local.set $rh4 (f32x4.splat (local.get $rh)))
    (local.set $mx4 (f32x4.splat (local.get $mx)))
    (local.set $rx4 (f32x4.splat (local.get $rx)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (i32.add (local.get $vec) (local.get $i)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.add
            (f32x4.add
              (f32x4.mul
                (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $hp) (local.get $i))) (local.get $mh4))
                  (local.get $rh4))
                (v128.load align=1 (i32.add (local.get $v) (local.get $stride))))
              (v128.load align=1 (i32.add (local.get $v) (i32.shl (local.get $stride) (i32.const 1)))))
            (f32x4.add
              (f32x4.mul
                (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $xp) (local.get $i))) (local.get $mx4))
                  (local.get $rx4))
                (v128.load align=1 (i32.add (local.get $v) (i32.mul (local.get $stride) (i32.const 3)))))
              (v128.load align=1 (i32.add (local.get $v) (i32.shl (local.get $stride) (i32.const 2))))))
          (v128.load align=1 (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; addPre(out, hp, xp, b, n): out = hp + xp + b.
  (func $addPre (export "addPre") (param $out i32) (param $hp i32) (param $xp i32) (param $b i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.add (v128.load align=1 (i32.add (local.get $hp) (local.get $i)))
            (v128.load align=1 (i32.add (local.get $xp) (local.get $i))))
          (v128.load align=1 (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; cellUpdate(c, act, cPrev, h): c = f cPrev + i g, for one row of h units; act holds f, i, o, g, h values each.
  (func $cellUpdate (export "cellUpdate") (param $c i32) (param $act i32) (param $cPrev i32) (param $h i32)
    (local $i i32) (local $end i32) (local $a i32)
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $a (i32.add (local.get $act) (local.get $i)))
      (v128.store align=1 (i32.add (local.get $c) (local.get $i))
        (f32x4.add
          (f32x4.mul (v128.load align=1 (local.get $a)) (v128.load align=1 (i32.add (local.get $cPrev) (local.get $i))))
          (f32x4.mul (v128.load align=1 (i32.add (local.get $a) (local.get $end)))
            (v128.load align=1 (i32.add (local.get $a) (i32.mul (local.get $end) (i32.const 3)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; affine(out, x, g, b, n, mu, rs): out = (x - mu) rs g + b.
  (func $affine (export "affine") (param $out i32) (param $x i32) (param $g i32) (param $b i32) (param $n i32)
    (param $mu f32) (param $rs f32)
    (local $i i32) (local $end i32) (local $mu4 v128) (local $rs4 v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $mu4 (f32x4.splat (local.get $mu)))
    (local.set $rs4 (f32x4.splat (local.get $rs)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.mul
            (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $x) (local.get $i))) (local.get $mu4))
              (local.get $rs4))
            (v128.load align=1 (i32.add (local.get $g) (local.get $i))))
          (v128.load align=1 (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; mul(out, a, b, n): out = a b.
  (func $mul (export "mul") (param $out i32) (param $a i32) (param $b i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.mul (v128.load align=1 (i32.add (local.get $a) (local.get $i)))
          (v128.load align=1 (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; add3(out, a, b, c, n): out = a + b + c.
  (func $add3 (export "add3") (param $out i32) (param $a i32) (param $b i32) (param $c i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.add (v128.load align=1 (i32.add (local.get $a) (local.get $i)))
            (v128.load align=1 (i32.add (local.get $b) (local.get $i))))
          (v128.load align=1 (i32.add (local.get $c) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; lstmOut(dpreO, dnc, dh, o, tc, n): the gradients of o's pre-activation, dh tc o (1 - o), and of norm(c),
  ;; dh o (1 - tc^2).
  (func $lstmOut (export "lstmOut") (param $dpreO i32) (param $dnc i32) (param $dh i32) (param $o i32) (param $tc i32)
    (param $n i32)
    (local $i i32) (local $end i32) (local $dh4 v128) (local $o4 v128) (local $t4 v128) (local $one v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $dh4 (v128.load align=1 (i32.add (local.get $dh) (local.get $i))))
      (local.set $o4 (v128.load align=1 (i32.add (local.get $o) (local.get $i))))
      (local.set $t4 (v128.load align=1 (i32.add (local.get $tc) (local.get $i))))
      (v128.store align=1 (i32.add (local.get $dpreO) (local.get $i))
        (f32x4.mul (f32x4.mul (local.get $dh4) (local.get $t4))
          (f32x4.mul (local.get $o4) (f32x4.sub (local.get $one) (local.get $o4)))))
      (v128.store align=1 (i32.add (local.get $dnc) (local.get $i))
        (f32x4.mul (f32x4.mul (local.get $dh4) (local.get $o4))
          (f32x4.sub (local.get $one) (f32x4.mul (local.get $t4) (local.get $t4)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; lnGrad1(dy, x, g, n, mu, rs, dgain, dbias) -> (s1, s2): with xh = (x - mu) rs, adds dy xh to dgain and dy to
  ;; dbias (float32, in place) and returns s1 = sum dy g and s2 = sum dy g xh.
  (func $lnGrad1 (export "lnGrad1") (param $dy i32) (param $x i32) (param $g i32) (param $n i32) (param $mu f32)
    (param $rs f32) (param $dgain i32) (param $dbias i32) (result f64 f64)
    (local $i i32) (local $end i32) (local $mu4 v128) (local $rs4 v128) (local $d v128) (local $xh v128)
    (local $dg v128) (local $s1 v128) (local $s2 v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $mu4 (f32x4.splat (local.get $mu)))
    (local.set $rs4 (f32x4.splat (local.get $rs)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $d (v128.load align=1 (i32.add (local.get $dy) (local.get $i))))
      (local.set $xh (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $x) (local.get $i))) (local.get $mu4))
        (local.get $rs4)))
      (local.set $dg (f32x4.mul (local.get $d) (v128.load align=1 (i32.add (local.get $g) (local.get $i)))))
      (local.set $s1 (f32x4.add (local.get $s1) (local.get $dg)))
      (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $dg) (local.get $xh))))
      (v128.store align=1 (i32.add (local.get $dgain) (local.get $i))
        (f32x4.add (v128.load align=1 (i32.add (local.get $dgain) (local.get $i)))
          (f32x4.mul (local.get $d) (local.get $xh))))
      (v128.store align=1 (i32.add (local.get $dbias) (local.get $i))
        (f32x4.add (v128.load align=1 (i32.add (local.get $dbias) (local.get $i))) (local.get $d)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next)))
    (call $hsum32 (local.get $s1))
    (call $hsum32 (local.get $s2)))

  ;; lnGrad2(dx, dy, x, g, n, mu, rs, m1, m2): dx = rs (dy g - m1 - xh m2), xh = (x - mu) rs (dx may be dy).
  (func $lnGrad2 (export "lnGrad2") (param $dx i32) (param $dy i32) (param $x i32) (param $g i32) (param $n i32)
    (param $mu f32) (param $rs f32) (param $m1 f32) (param $m2 f32)
    (local $i i32) (local $end i32) (local $mu4 v128) (local $rs4 v128) (local $m14 v128) (local $m24 v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $mu4 (f32x4.splat (local.get $mu)))
    (local.set $rs4 (f32x4.splat (local.get $rs)))
    (local.set $m14 (f32x4.splat (local.get $m1)))
    (local.set $m24 (f32x4.splat (local.get $m2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $dx) (local.get $i))
        (f32x4.mul (local.get $rs4)
          (f32x4.sub
            (f32x4.sub
              (f32x4.mul (v128.load align=1 (i32.add (local.get $dy) (local.get $i)))
                (v128.load align=1 (i32.add (local.get $g) (local.get $i))))
              (local.get $m14))
            (f32x4.mul
              (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $x) (local.get $i))) (local.get $mu4))
                (local.get $rs4))
              (local.get $m24)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; lstmGates(dpre, dcPrev, dcn, dc, cPrev, act, h): with dct = dc + dcn, the gradients of the f, i and g
  ;; pre-activations (dct cPrev f (1 - f), dct g i (1 - i), dct i (1 - g^2)) into dpre's f, i, g parts (h values
  ;; each, as act's), and dcPrev = dct f (dcPrev may be dcn).
  (func $lstmGates (export "lstmGates") (param $dpre i32) (param $dcPrev i32) (param $dcn i32) (param $dc i32) (param $cPrev i32)
    (param $act i32) (param $h i32)
    (local $i i32) (local $end i32) (local $dct v128) (local $f v128) (local $ig v128) (local $g v128) (local $one v128)
    (local.set $end (i32.shl (local.get $h) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $dct (f32x4.add (v128.load align=1 (i32.add (local.get $dc) (local.get $i)))
        (v128.load align=1 (i32.add (local.get $dcn) (local.get $i)))))
      (local.set $f (v128.load align=1 (i32.add (local.get $act) (local.get $i))))
      (local.set $ig (v128.load align=1 (i32.add (i32.add (local.get $act) (local.get $end)) (local.get $i))))
      (local.set $g (v128.load align=1 (i32.add (i32.add (local.get $act) (i32.mul (local.get $end) (i32.const 3)))
        (local.get $i))))
      (v128.store align=1 (i32.add (local.get $dpre) (local.get $i))
        (f32x4.mul (f32x4.mul (local.get $dct) (v128.load align=1 (i32.add (local.get $cPrev) (local.get $i))))
          (f32x4.mul (local.get $f) (f32x4.sub (local.get $one) (local.get $f)))))
      (v128.store align=1 (i32.add (i32.add (local.get $dpre) (local.get $end)) (local.get $i))
        (f32x4.mul (f32x4.mul (local.get $dct) (local.get $g))
          (f32x4.mul (local.get $ig) (f32x4.sub (local.get $one) (local.get $ig)))))
      (v128.store align=1 (i32.add (i32.add (local.get $dpre) (i32.mul (local.get $end) (i32.const 3))) (local.get $i))
        (f32x4.mul (f32x4.mul (local.get $dct) (local.get $ig))
          (f32x4.sub (local.get $one) (f32x4.mul (local.get $g) (local.get $g)))))
      (v128.store align=1 (i32.add (local.get $dcPrev) (local.get $i)) (f32x4.mul (local.get $dct) (local.get $f)))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; addInto(acc, x, n): acc += x.
  (func $addInto (export "addInto") (param $acc i32) (param $x i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $acc) (local.get $i))
        (f32x4.add (v128.load align=1 (i32.add (local.get $acc) (local.get $i)))
          (v128.load align=1 (i32.add (local.get $x) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))
  ;; The logistic sigmoid and tanh of float32 arrays in place, four lanes at a time: the fused recurrent cells'
  ;; activations (cells.ts), five per LSTM unit and step, which scalar JavaScript computes at ~10 ns each.
  ;;
  ;; sigmoid(ptr, n) and tanh(ptr, n): the n float32 values at byte offset ptr, rounded down to a multiple of four (the
  ;; caller does the last n mod 4). exp is Cephes' expf: x = k ln 2 + r with k = nearest(x log2 e), a degree-7
  ;; polynomial in r, times 2^k built in the exponent bits; about 1 ulp. Inputs are clamped so that every value and
  ;; result stays a normal float32 (x86 computes subnormals ~100 times slower; simd-adam.ts): sigmoid's to [-87, 87]
  ;; (sigmoid(-87) = 1.6e-38), tanh's |x| to 10 (tanh(x) rounds to 1 in float32 from |x| = 9.011 on). tanh(x) is Cephes' tanhf: x + x^3 P(x^2)
  ;; for |x| < 0.625, else sign(x) (1 - 2 / (exp(2|x|) + 1)).
  (func $exp (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $p v128) (local $kb v128)
    (local.set $x (f32x4.min (local.get $x) (f32x4.splat (f32.const 88.0))))
    (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.0))))
    ;; k = nearest(x log2 e) by adding 1.5 * 2^23: the sum's low mantissa bits hold k as an integer
    (local.set $kb (f32x4.add (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341)))
      (f32x4.splat (f32.const 12582912.0))))
    (local.set $k (f32x4.sub (local.get $kb) (f32x4.splat (f32.const 12582912.0))))
    ;; r = x - k C1 - k C2 with C1 + C2 = ln 2 (C1 exact in few bits)
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 0.693359375)))))
    (local.set $r (f32x4.add (local.get $r) (f32x4.mul (local.get $k) (f32x4.splat (f32.const 2.12194440e-4)))))
    (local.set $p (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    ;; p r^2 + r + 1
    (local.set $p (f32x4.add
      (f32x4.add (f32x4.mul (local.get $p) (f32x4.mul (local.get $r) (local.get $r))) (local.get $r))
      (f32x4.splat (f32.const 1))))
    ;; 2^k as float32 bits: (k + 127) << 23, k the low bits of kb (0x4b400000 is 1.5 * 2^23's bits)
    (f32x4.mul (local.get $p)
      (i32x4.shl (i32x4.sub (local.get $kb) (i32x4.splat (i32.const 0x4b3fff81))) (i32.const 23))))

  (func $sigmoid4 (param $x v128) (result v128)
    (local.set $x (f32x4.min (local.get $x) (f32x4.splat (f32.const 87.0))))
    (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.0))))
    (f32x4.div (f32x4.splat (f32.const 1))
      (f32x4.add (f32x4.splat (f32.const 1)) (call $exp (f32x4.neg (local.get $x))))))

  (func $tanh4 (param $x v128) (result v128)
    (local $a v128) (local $z v128) (local $p v128) (local $small v128) (local $big v128)
    (local.set $a (f32x4.min (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 10.0))))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (f32x4.splat (f32.const -5.70498872745e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const 2.06390887954e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const -5.37397155531e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const 1.33314422036e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const -3.33332819422e-1))))
    (local.set $small (f32x4.add (local.get $x)
      (f32x4.mul (f32x4.mul (local.get $x) (local.get $z)) (local.get $p))))
    ;; 1 - 2 / (exp(2|x|) + 1), with x's sign bit
    (local.set $big (f32x4.sub (f32x4.splat (f32.const 1))
      (f32x4.div (f32x4.splat (f32.const 2))
        (f32x4.add (call $exp (f32x4.add (local.get $a) (local.get $a))) (f32x4.splat (f32.const 1))))))
    (local.set $big (v128.or (local.get $big) (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))
    (v128.bitselect (local.get $small) (local.get $big)
      (f32x4.lt (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 0.625)))))


  ;; $exp of two vectors at once, their instructions interleaved (twice the work in flight: ~1.5x the throughput).
  (func $exp2 (param $xa v128) (param $xb v128) (result v128 v128)
    (local $kba v128) (local $kbb v128) (local $ra v128) (local $rb v128) (local $pa v128) (local $pb v128)
    (local.set $xa (f32x4.max (f32x4.min (local.get $xa) (f32x4.splat (f32.const 88.0))) (f32x4.splat (f32.const -87.0))))
    (local.set $xb (f32x4.max (f32x4.min (local.get $xb) (f32x4.splat (f32.const 88.0))) (f32x4.splat (f32.const -87.0))))
    (local.set $kba (f32x4.add (f32x4.mul (local.get $xa) (f32x4.splat (f32.const 1.44269504088896341))) (f32x4.splat (f32.const 12582912.0))))
    (local.set $kbb (f32x4.add (f32x4.mul (local.get $xb) (f32x4.splat (f32.const 1.44269504088896341))) (f32x4.splat (f32.const 12582912.0))))
    (local.set $ra (f32x4.sub (local.get $kba) (f32x4.splat (f32.const 12582912.0))))
    (local.set $rb (f32x4.sub (local.get $kbb) (f32x4.splat (f32.const 12582912.0))))
    (local.set $ra (f32x4.add (f32x4.sub (local.get $xa) (f32x4.mul (local.get $ra) (f32x4.splat (f32.const 0.693359375)))) (f32x4.mul (f32x4.sub (local.get $kba) (f32x4.splat (f32.const 12582912.0))) (f32x4.splat (f32.const 2.12194440e-4)))))
    (local.set $rb (f32x4.add (f32x4.sub (local.get $xb) (f32x4.mul (local.get $rb) (f32x4.splat (f32.const 0.693359375)))) (f32x4.mul (f32x4.sub (local.get $kbb) (f32x4.splat (f32.const 12582912.0))) (f32x4.splat (f32.const 2.12194440e-4)))))
    (local.set $pa (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $pb (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $pa (f32x4.add (f32x4.mul (local.get $pa) (local.get $ra)) (f32x4.splat (f32.const 0.0013981999507))))
    (local.set $pb (f32x4.add (f32x4.mul (local.get $pb) (local.get $rb)) (f32x4.splat (f32.const 0.0013981999507))))
    (local.set $pa (f32x4.add (f32x4.mul (local.get $pa) (local.get $ra)) (f32x4.splat (f32.const 0.0083334519073))))
    (local.set $pb (f32x4.add (f32x4.mul (local.get $pb) (local.get $rb)) (f32x4.splat (f32.const 0.0083334519073))))
    (local.set $pa (f32x4.add (f32x4.mul (local.get $pa) (local.get $ra)) (f32x4.splat (f32.const 0.041665795894))))
    (local.set $pb (f32x4.add (f32x4.mul (local.get $pb) (local.get $rb)) (f32x4.splat (f32.const 0.041665795894))))
    (local.set $pa (f32x4.add (f32x4.mul (local.get $pa) (local.get $ra)) (f32x4.splat (f32.const 0.16666665459))))
    (local.set $pb (f32x4.add (f32x4.mul (local.get $pb) (local.get $rb)) (f32x4.splat (f32.const 0.16666665459))))
    (local.set $pa (f32x4.add (f32x4.mul (local.get $pa) (local.get $ra)) (f32x4.splat (f32.const 0.50000001201))))
    (local.set $pb (f32x4.add (f32x4.mul (local.get $pb) (local.get $rb)) (f32x4.splat (f32.const 0.50000001201))))
    (local.set $pa (f32x4.add (f32x4.add (f32x4.mul (local.get $pa) (f32x4.mul (local.get $ra) (local.get $ra))) (local.get $ra)) (f32x4.splat (f32.const 1))))
    (local.set $pb (f32x4.add (f32x4.add (f32x4.mul (local.get $pb) (f32x4.mul (local.get $rb) (local.get $rb))) (local.get $rb)) (f32x4.splat (f32.const 1))))
    (local.set $pa (f32x4.mul (local.get $pa) (i32x4.shl (i32x4.sub (local.get $kba) (i32x4.splat (i32.const 0x4b3fff81))) (i32.const 23))))
    (local.set $pb (f32x4.mul (local.get $pb) (i32x4.shl (i32x4.sub (local.get $kbb) (i32x4.splat (i32.const 0x4b3fff81))) (i32.const 23))))
    (local.get $pa)
    (local.get $pb))

  (func $sigmoid (export "sigmoid") (param $ptr i32) (param $n i32)
    (local $end8 i32) (local $end i32) (local $a v128) (local $b v128) (local $one v128)
    (local.set $end8 (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (local.set $one (f32x4.splat (f32.const 1)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end8)))
        ;; align=1: a row of a tensor starts at any multiple of 4 bytes
        (call $exp2
          (f32x4.neg (f32x4.max (f32x4.min (v128.load align=1 (local.get $ptr)) (f32x4.splat (f32.const 87.0))) (f32x4.splat (f32.const -87.0))))
          (f32x4.neg (f32x4.max (f32x4.min (v128.load offset=16 align=1 (local.get $ptr)) (f32x4.splat (f32.const 87.0))) (f32x4.splat (f32.const -87.0)))))
        (local.set $b)
        (local.set $a)
        (v128.store align=1 (local.get $ptr) (f32x4.div (local.get $one) (f32x4.add (local.get $one) (local.get $a))))
        (v128.store offset=16 align=1 (local.get $ptr) (f32x4.div (local.get $one) (f32x4.add (local.get $one) (local.get $b))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 32)))
        (br $next)))
    (if (i32.lt_u (local.get $ptr) (local.get $end))
      (then (v128.store align=1 (local.get $ptr) (call $sigmoid4 (v128.load align=1 (local.get $ptr)))))))

  ;; tanh of two vectors: Cephes' tanhf as $tanh4, with both exps in one $exp2.
  (func $tanh2 (param $xa v128) (param $xb v128) (result v128 v128)
    (local $ea v128) (local $eb v128)
    (call $exp2
      (f32x4.add (f32x4.min (f32x4.abs (local.get $xa)) (f32x4.splat (f32.const 10.0))) (f32x4.min (f32x4.abs (local.get $xa)) (f32x4.splat (f32.const 10.0))))
      (f32x4.add (f32x4.min (f32x4.abs (local.get $xb)) (f32x4.splat (f32.const 10.0))) (f32x4.min (f32x4.abs (local.get $xb)) (f32x4.splat (f32.const 10.0)))))
    (local.set $eb)
    (local.set $ea)
    (call $tanhFrom (local.get $xa) (local.get $ea))
    (call $tanhFrom (local.get $xb) (local.get $eb)))

  ;; tanh(x) given e = exp(2 min(|x|, 10)): the series below |x| 0.625, else sign(x) (1 - 2 / (e + 1)).
  (func $tanhFrom (param $x v128) (param $e v128) (result v128)
    (local $z v128) (local $p v128) (local $big v128)
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $p (f32x4.splat (f32.const -5.70498872745e-3)))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const 2.06390887954e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const -5.37397155531e-2))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const 1.33314422036e-1))))
    (local.set $p (f32x4.add (f32x4.mul (local.get $p) (local.get $z)) (f32x4.splat (f32.const -3.33332819422e-1))))
    (local.set $big (f32x4.sub (f32x4.splat (f32.const 1))
      (f32x4.div (f32x4.splat (f32.const 2)) (f32x4.add (local.get $e) (f32x4.splat (f32.const 1))))))
    (local.set $big (v128.or (local.get $big) (v128.and (local.get $x) (i32x4.splat (i32.const 0x80000000)))))
    (v128.bitselect
      (f32x4.add (local.get $x) (f32x4.mul (f32x4.mul (local.get $x) (local.get $z)) (local.get $p)))
      (local.get $big)
      (f32x4.lt (f32x4.abs (local.get $x)) (f32x4.splat (f32.const 0.625)))))

  (func $tanh (export "tanh") (param $ptr i32) (param $n i32)
    (local $end8 i32) (local $end i32) (local $a v128) (local $b v128)
    (local.set $end8 (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end8)))
        (call $tanh2 (v128.load align=1 (local.get $ptr)) (v128.load offset=16 align=1 (local.get $ptr)))
        (local.set $b)
        (local.set $a)
        (v128.store align=1 (local.get $ptr) (local.get $a))
        (v128.store offset=16 align=1 (local.get $ptr) (local.get $b))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 32)))
        (br $next)))
    (if (i32.lt_u (local.get $ptr) (local.get $end))
      (then (v128.store align=1 (local.get $ptr) (call $tanh4 (v128.load align=1 (local.get $ptr)))))))

  ;; copy(dst, src, n) and zero(dst, n): n float32 values.
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $dst) (local.get $i)) (v128.load align=1 (i32.add (local.get $src) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  (func $zero (param $dst i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $dst) (local.get $i)) (v128.const i32x4 0 0 0 0))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; rstd(p, n, mean, eps): 1 / sqrt(ssd / n + eps).
  (func $rstd (param $p i32) (param $n i32) (param $mean f64) (param $eps f64) (result f64)
    (f64.div (f64.const 1)
      (f64.sqrt (f64.add (f64.div (call $ssd (local.get $p) (local.get $n) (local.get $mean)) (f64.convert_i32_u (local.get $n)))
        (local.get $eps)))))

  (func $mean (param $p i32) (param $n i32) (result f64)
    (f64.div (call $sum (local.get $p) (local.get $n)) (f64.convert_i32_u (local.get $n))))

  ;; centre(p, n, norm): the mean a row's norm subtracts: its mean for layer norm (norm 1), 0 for RMSNorm (norm 2).
  (func $centre (param $p i32) (param $n i32) (param $norm i32) (result f64)
    (if (result f64) (i32.eq (local.get $norm) (i32.const 2))
      (then (f64.const 0))
      (else (call $mean (local.get $p) (local.get $n)))))

  ;; lstmForwardRows(h, c, act, tc, stats, xp, hp, cPrev, hPrev, vec, mask, B, H, norm, eps): lstm-rows.ts's
  ;; forward for B rows of H units (xp already at this step's rows); norm 1: layer norm (statistics into stats,
  ;; 6 a row: mean and rstd of hp, xp and c), 2: RMSNorm (the same with the mean taken as 0), 0: none. A row whose
  ;; mask is 0 keeps hPrev and cPrev.
  (func (export "lstmForwardRows")
    (param $h i32) (param $c i32) (param $act i32) (param $tc i32) (param $stats i32) (param $xp i32) (param $hp i32)
    (param $cPrev i32) (param $hPrev i32) (param $vec i32) (param $mask i32) (param $B i32) (param $H i32)
    (param $norm i32) (param $eps f64)
    (local $r i32) (local $G i32) (local $gb i32) (local $hb i32) (local $base i32) (local $rh i32) (local $st i32)
    (local $mh f64) (local $sh f64) (local $mx f64) (local $sx f64) (local $mc f64) (local $sc f64)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gb (i32.shl (local.get $G) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (local.set $st (i32.add (local.get $stats) (i32.mul (local.get $r) (i32.const 24))))
      (if (local.get $norm)
        (then
          (local.set $mh (call $centre (i32.add (local.get $hp) (local.get $base)) (local.get $G) (local.get $norm)))
          (local.set $sh (call $rstd (i32.add (local.get $hp) (local.get $base)) (local.get $G) (local.get $mh) (local.get $eps)))
          (local.set $mx (call $centre (i32.add (local.get $xp) (local.get $base)) (local.get $G) (local.get $norm)))
          (local.set $sx (call $rstd (i32.add (local.get $xp) (local.get $base)) (local.get $G) (local.get $mx) (local.get $eps)))
          (call $lnPre (i32.add (local.get $act) (local.get $base)) (i32.add (local.get $hp) (local.get $base))
            (i32.add (local.get $xp) (local.get $base)) (local.get $vec) (local.get $G)
            (f32.demote_f64 (local.get $mh)) (f32.demote_f64 (local.get $sh))
            (f32.demote_f64 (local.get $mx)) (f32.demote_f64 (local.get $sx)))
          (f32.store (local.get $st) (f32.demote_f64 (local.get $mh)))
          (f32.store offset=4 (local.get $st) (f32.demote_f64 (local.get $sh)))
          (f32.store offset=8 (local.get $st) (f32.demote_f64 (local.get $mx)))
          (f32.store offset=12 (local.get $st) (f32.demote_f64 (local.get $sx))))
        (else
          (call $addPre (i32.add (local.get $act) (local.get $base)) (i32.add (local.get $hp) (local.get $base))
            (i32.add (local.get $xp) (local.get $base)) (local.get $vec) (local.get $G))))
      (call $sigmoid (i32.add (local.get $act) (local.get $base)) (i32.mul (local.get $H) (i32.const 3)))
      (call $tanh (i32.add (i32.add (local.get $act) (local.get $base)) (i32.mul (local.get $hb) (i32.const 3)))
        (local.get $H))
      (call $cellUpdate (i32.add (local.get $c) (local.get $rh)) (i32.add (local.get $act) (local.get $base))
        (i32.add (local.get $cPrev) (local.get $rh)) (local.get $H))
      (if (local.get $norm)
        (then
          (local.set $mc (call $centre (i32.add (local.get $c) (local.get $rh)) (local.get $H) (local.get $norm)))
          (local.set $sc (call $rstd (i32.add (local.get $c) (local.get $rh)) (local.get $H) (local.get $mc) (local.get $eps)))
          (call $affine (i32.add (local.get $tc) (local.get $rh)) (i32.add (local.get $c) (local.get $rh))
            (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 5)))
            (i32.add (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 5))) (local.get $hb))
            (local.get $H) (f32.demote_f64 (local.get $mc)) (f32.demote_f64 (local.get $sc)))
          (f32.store offset=16 (local.get $st) (f32.demote_f64 (local.get $mc)))
          (f32.store offset=20 (local.get $st) (f32.demote_f64 (local.get $sc))))
        (else (call $copy (i32.add (local.get $tc) (local.get $rh)) (i32.add (local.get $c) (local.get $rh)) (local.get $H))))
      (call $tanh (i32.add (local.get $tc) (local.get $rh)) (local.get $H))
      (call $mul (i32.add (local.get $h) (local.get $rh))
        (i32.add (i32.add (local.get $act) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
        (i32.add (local.get $tc) (local.get $rh)) (local.get $H))
      (if (f32.eq (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (call $copy (i32.add (local.get $h) (local.get $rh)) (i32.add (local.get $hPrev) (local.get $rh)) (local.get $H))
          (call $copy (i32.add (local.get $c) (local.get $rh)) (i32.add (local.get $cPrev) (local.get $rh)) (local.get $H))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))

  ;; termBackward(dx, dy, x, g, n, mu, rs, dgain, dbias, norm): layer norm's backward on n values (dx may be dy);
  ;; norm 2 (RMSNorm, mu 0): without the mean(dy g) term, m1 = 0.
  (func $termBackward (param $dx i32) (param $dy i32) (param $x i32) (param $g i32) (param $n i32) (param $mu f32)
    (param $rs f32) (param $dgain i32) (param $dbias i32) (param $norm i32)
    (local $s1 f64) (local $s2 f64) (local $nf f64)
    (call $lnGrad1 (local.get $dy) (local.get $x) (local.get $g) (local.get $n) (local.get $mu) (local.get $rs)
      (local.get $dgain) (local.get $dbias))
    (local.set $s2)
    (local.set $s1)
    (local.set $nf (f64.convert_i32_u (local.get $n)))
    (call $lnGrad2 (local.get $dx) (local.get $dy) (local.get $x) (local.get $g) (local.get $n) (local.get $mu)
      (local.get $rs)
      (select (f32.const 0) (f32.demote_f64 (f64.div (local.get $s1) (local.get $nf))) (i32.eq (local.get $norm) (i32.const 2)))
      (f32.demote_f64 (f64.div (local.get $s2) (local.get $nf)))))

  ;; lstmBackwardRows(dhp, dxp, dcPrev, dhCarry, acc, dhs, dhRec, dhCarryIn, dc, act, c, cPrev, tc, hp, xp, stats,
  ;; vec, mask, B, H, norm): lstm-rows.ts's backward for B rows (dhs and xp already at this step's rows); adds vec's
  ;; gradient into acc (float32).
  (func (export "lstmBackwardRows")
    (param $dhp i32) (param $dxp i32) (param $dcPrev i32) (param $dhCarry i32) (param $acc i32) (param $dhs i32)
    (param $dhRec i32) (param $dhCarryIn i32) (param $dc i32) (param $act i32) (param $c i32) (param $cPrev i32)
    (param $tc i32) (param $hp i32) (param $xp i32) (param $stats i32) (param $vec i32) (param $mask i32) (param $B i32)
    (param $H i32) (param $norm i32)
    (local $r i32) (local $G i32) (local $gb i32) (local $hb i32) (local $base i32) (local $rh i32) (local $st i32)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gb (i32.shl (local.get $G) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (local.set $st (i32.add (local.get $stats) (i32.mul (local.get $r) (i32.const 24))))
      ;; dh, into dhCarry's row: passed through where the row is padding, a scratch until zeroed where it is live
      (call $add3 (i32.add (local.get $dhCarry) (local.get $rh)) (i32.add (local.get $dhs) (local.get $rh))
        (i32.add (local.get $dhRec) (local.get $rh)) (i32.add (local.get $dhCarryIn) (local.get $rh)) (local.get $H))
      (if (f32.eq (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (call $copy (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dc) (local.get $rh)) (local.get $H))
          (call $zero (i32.add (local.get $dhp) (local.get $base)) (local.get $G))
          (call $zero (i32.add (local.get $dxp) (local.get $base)) (local.get $G)))
        (else
          ;; o's pre-activation into dxp's row, norm(c)'s gradient into dcPrev's row, through c's norm
          (call $lstmOut (i32.add (i32.add (local.get $dxp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dhCarry) (local.get $rh))
            (i32.add (i32.add (local.get $act) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (i32.add (local.get $tc) (local.get $rh)) (local.get $H))
          (if (local.get $norm)
            (then (call $termBackward (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dcPrev) (local.get $rh))
              (i32.add (local.get $c) (local.get $rh)) (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 5)))
              (local.get $H) (f32.load offset=16 (local.get $st)) (f32.load offset=20 (local.get $st))
              (i32.add (local.get $acc) (i32.mul (local.get $gb) (i32.const 5)))
              (i32.add (i32.add (local.get $acc) (i32.mul (local.get $gb) (i32.const 5))) (local.get $hb)) (local.get $norm))))
          (call $lstmGates (i32.add (local.get $dxp) (local.get $base)) (i32.add (local.get $dcPrev) (local.get $rh))
            (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dc) (local.get $rh))
            (i32.add (local.get $cPrev) (local.get $rh)) (i32.add (local.get $act) (local.get $base)) (local.get $H))
          (call $addInto (local.get $acc) (i32.add (local.get $dxp) (local.get $base)) (local.get $G))
          (call $zero (i32.add (local.get $dhCarry) (local.get $rh)) (local.get $H))
          (if (local.get $norm)
            (then
              (call $termBackward (i32.add (local.get $dhp) (local.get $base)) (i32.add (local.get $dxp) (local.get $base))
                (i32.add (local.get $hp) (local.get $base)) (i32.add (local.get $vec) (local.get $gb)) (local.get $G)
                (f32.load (local.get $st)) (f32.load offset=4 (local.get $st))
                (i32.add (local.get $acc) (local.get $gb)) (i32.add (local.get $acc) (i32.shl (local.get $gb) (i32.const 1))) (local.get $norm))
              (call $termBackward (i32.add (local.get $dxp) (local.get $base)) (i32.add (local.get $dxp) (local.get $base))
                (i32.add (local.get $xp) (local.get $base)) (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 3)))
                (local.get $G) (f32.load offset=8 (local.get $st)) (f32.load offset=12 (local.get $st))
                (i32.add (local.get $acc) (i32.mul (local.get $gb) (i32.const 3)))
                (i32.add (local.get $acc) (i32.shl (local.get $gb) (i32.const 2))) (local.get $norm)))
            (else (call $copy (i32.add (local.get $dhp) (local.get $base)) (i32.add (local.get $dxp) (local.get $base))
              (local.get $G))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))

  ;; ---- batch norm: statistics per column over the rows whose mask is not 0 (Cooijmans et al.) ----

  ;; colMoments(x, rows, n, mask, count, eps, mean, rstd, var, s): the mean, rstd and biased variance of each of
  ;; the n columns of x [rows, n] over its live rows (count of them), in float64 (s: 2n float64 of scratch), into
  ;; the float32 arrays mean, rstd and var.
  (func $colMoments (param $x i32) (param $rows i32) (param $n i32) (param $mask i32) (param $count f64)
    (param $eps f64) (param $mean i32) (param $rstd i32) (param $var i32) (param $s i32)
    (local $r i32) (local $jb i32) (local $nb i32) (local $row i32) (local $q i32) (local $v v128) (local $d v128)
    (local $ssd i32) (local $m v128) (local $vv v128) (local $cnt v128)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $ssd (i32.add (local.get $s) (i32.shl (local.get $nb) (i32.const 1))))
    (local.set $cnt (f64x2.splat (local.get $count)))
    (call $zero (local.get $s) (i32.shl (local.get $n) (i32.const 2)))
    ;; sums
    (local.set $r (i32.const 0))
    (block $done (loop $rows1
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (if (f32.ne (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (local.set $row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $nb))))
          (local.set $jb (i32.const 0))
          (block $end (loop $cols
            (br_if $end (i32.ge_u (local.get $jb) (local.get $nb)))
            (local.set $v (v128.load align=1 (i32.add (local.get $row) (local.get $jb))))
            (local.set $q (i32.add (local.get $s) (i32.shl (local.get $jb) (i32.const 1))))
            (v128.store align=1 (local.get $q) (f64x2.add (v128.load align=1 (local.get $q)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16 align=1 (local.get $q) (f64x2.add (v128.load offset=16 align=1 (local.get $q))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
            (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
            (br $cols)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows1)))
    ;; means, in place
    (local.set $q (local.get $s))
    (block $end (loop $means
      (br_if $end (i32.ge_u (local.get $q) (local.get $ssd)))
      (v128.store align=1 (local.get $q) (f64x2.div (v128.load align=1 (local.get $q)) (local.get $cnt)))
      (local.set $q (i32.add (local.get $q) (i32.const 16)))
      (br $means)))
    ;; squared deviations
    (local.set $r (i32.const 0))
    (block $done (loop $rows2
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (if (f32.ne (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (local.set $row (i32.add (local.get $x) (i32.mul (local.get $r) (local.get $nb))))
          (local.set $jb (i32.const 0))
          (block $end (loop $cols
            (br_if $end (i32.ge_u (local.get $jb) (local.get $nb)))
            (local.set $v (v128.load align=1 (i32.add (local.get $row) (local.get $jb))))
            (local.set $q (i32.shl (local.get $jb) (i32.const 1)))
            (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (v128.load align=1 (i32.add (local.get $s) (local.get $q)))))
            (v128.store align=1 (i32.add (local.get $ssd) (local.get $q))
              (f64x2.add (v128.load align=1 (i32.add (local.get $ssd) (local.get $q))) (f64x2.mul (local.get $d) (local.get $d))))
            (local.set $d (f64x2.sub
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
              (v128.load offset=16 align=1 (i32.add (local.get $s) (local.get $q)))))
            (v128.store offset=16 align=1 (i32.add (local.get $ssd) (local.get $q))
              (f64x2.add (v128.load offset=16 align=1 (i32.add (local.get $ssd) (local.get $q))) (f64x2.mul (local.get $d) (local.get $d))))
            (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
            (br $cols)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows2)))
    ;; mean, rstd, variance as float32, two columns at a time
    (local.set $jb (i32.const 0))
    (block $end (loop $out
      (br_if $end (i32.ge_u (local.get $jb) (local.get $nb)))
      (local.set $q (i32.shl (local.get $jb) (i32.const 1)))
      (local.set $m (v128.load align=1 (i32.add (local.get $s) (local.get $q))))
      (local.set $vv (f64x2.div (v128.load align=1 (i32.add (local.get $ssd) (local.get $q))) (local.get $cnt)))
      (v128.store64_lane align=1 0 (i32.add (local.get $mean) (local.get $jb)) (f32x4.demote_f64x2_zero (local.get $m)))
      (v128.store64_lane align=1 0 (i32.add (local.get $var) (local.get $jb)) (f32x4.demote_f64x2_zero (local.get $vv)))
      (v128.store64_lane align=1 0 (i32.add (local.get $rstd) (local.get $jb)) (f32x4.demote_f64x2_zero
        (f64x2.div (f64x2.splat (f64.const 1)) (f64x2.sqrt (f64x2.add (local.get $vv) (f64x2.splat (local.get $eps)))))))
      (local.set $jb (i32.add (local.get $jb) (i32.const 8)))
      (br $out))))

  ;; colPre(out, hp, xp, vec, n, mh, rh, mx, rx): lnPre with per-column statistics (float32 arrays of n).
  (func $colPre (param $out i32) (param $hp i32) (param $xp i32) (param $vec i32) (param $n i32) (param $mh i32)
    (param $rh i32) (param $mx i32) (param $rx i32)
    (local $i i32) (local $end i32) (local $stride i32) (local $v i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (local.get $stride))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (i32.add (local.get $vec) (local.get $i)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.add
            (f32x4.add
              (f32x4.mul
                (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $hp) (local.get $i)))
                    (v128.load align=1 (i32.add (local.get $mh) (local.get $i))))
                  (v128.load align=1 (i32.add (local.get $rh) (local.get $i))))
                (v128.load align=1 (i32.add (local.get $v) (local.get $stride))))
              (v128.load align=1 (i32.add (local.get $v) (i32.shl (local.get $stride) (i32.const 1)))))
            (f32x4.add
              (f32x4.mul
                (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $xp) (local.get $i)))
                    (v128.load align=1 (i32.add (local.get $mx) (local.get $i))))
                  (v128.load align=1 (i32.add (local.get $rx) (local.get $i))))
                (v128.load align=1 (i32.add (local.get $v) (i32.mul (local.get $stride) (i32.const 3)))))
              (v128.load align=1 (i32.add (local.get $v) (i32.shl (local.get $stride) (i32.const 2))))))
          (v128.load align=1 (local.get $v))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; colAffine(out, x, mean, rstd, g, b, n): out = (x - mean) rstd g + b, per column.
  (func $colAffine (param $out i32) (param $x i32) (param $mean i32) (param $rstd i32) (param $g i32) (param $b i32)
    (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.mul
            (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $x) (local.get $i)))
                (v128.load align=1 (i32.add (local.get $mean) (local.get $i))))
              (v128.load align=1 (i32.add (local.get $rstd) (local.get $i))))
            (v128.load align=1 (i32.add (local.get $g) (local.get $i))))
          (v128.load align=1 (i32.add (local.get $b) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; colBackward(dx, dy, x, rows, n, mask, count, mean, rstd, g, dgain, dbias, s): batch norm's backward on the n
  ;; columns of x [rows, n]: with xhat = (x - mean) rstd and sums over the live rows (float32 lanes; s: 2n float32 of
  ;; scratch), dx = rstd g (dy - sum dy / count - xhat sum(dy xhat) / count) on live rows, 0 on the others; adds
  ;; sum dy xhat to dgain and sum dy to dbias. dx may be dy.
  (func $colBackward (param $dx i32) (param $dy i32) (param $x i32) (param $rows i32) (param $n i32) (param $mask i32)
    (param $count f32) (param $mean i32) (param $rstd i32) (param $g i32) (param $dgain i32) (param $dbias i32)
    (param $s i32)
    (local $r i32) (local $jb i32) (local $nb i32) (local $off i32) (local $sx i32) (local $d v128) (local $xh v128)
    (local $cnt v128) (local $rs v128)
    (local.set $nb (i32.shl (local.get $n) (i32.const 2)))
    (local.set $sx (i32.add (local.get $s) (local.get $nb)))
    (local.set $cnt (f32x4.splat (local.get $count)))
    (call $zero (local.get $s) (i32.shl (local.get $n) (i32.const 1)))
    (local.set $r (i32.const 0))
    (block $done (loop $rows1
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (if (f32.ne (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (local.set $jb (i32.const 0))
          (block $end (loop $cols
            (br_if $end (i32.ge_u (local.get $jb) (local.get $nb)))
            (local.set $off (i32.add (i32.mul (local.get $r) (local.get $nb)) (local.get $jb)))
            (local.set $d (v128.load align=1 (i32.add (local.get $dy) (local.get $off))))
            (local.set $xh (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $x) (local.get $off)))
              (v128.load align=1 (i32.add (local.get $mean) (local.get $jb)))) (v128.load align=1 (i32.add (local.get $rstd) (local.get $jb)))))
            (v128.store align=1 (i32.add (local.get $s) (local.get $jb))
              (f32x4.add (v128.load align=1 (i32.add (local.get $s) (local.get $jb))) (local.get $d)))
            (v128.store align=1 (i32.add (local.get $sx) (local.get $jb))
              (f32x4.add (v128.load align=1 (i32.add (local.get $sx) (local.get $jb))) (f32x4.mul (local.get $d) (local.get $xh))))
            (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
            (br $cols)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows1)))
    (call $addInto (local.get $dgain) (local.get $sx) (local.get $n))
    (call $addInto (local.get $dbias) (local.get $s) (local.get $n))
    (local.set $r (i32.const 0))
    (block $done (loop $rows2
      (br_if $done (i32.ge_u (local.get $r) (local.get $rows)))
      (if (f32.eq (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then (call $zero (i32.add (local.get $dx) (i32.mul (local.get $r) (local.get $nb))) (local.get $n)))
        (else
          (local.set $jb (i32.const 0))
          (block $end (loop $cols
            (br_if $end (i32.ge_u (local.get $jb) (local.get $nb)))
            (local.set $off (i32.add (i32.mul (local.get $r) (local.get $nb)) (local.get $jb)))
            (local.set $rs (v128.load align=1 (i32.add (local.get $rstd) (local.get $jb))))
            (local.set $xh (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $x) (local.get $off)))
              (v128.load align=1 (i32.add (local.get $mean) (local.get $jb)))) (local.get $rs)))
            (v128.store align=1 (i32.add (local.get $dx) (local.get $off))
              (f32x4.mul (f32x4.mul (local.get $rs) (v128.load align=1 (i32.add (local.get $g) (local.get $jb))))
                (f32x4.sub
                  (f32x4.sub (v128.load align=1 (i32.add (local.get $dy) (local.get $off)))
                    (f32x4.div (v128.load align=1 (i32.add (local.get $s) (local.get $jb))) (local.get $cnt)))
                  (f32x4.div (f32x4.mul (local.get $xh) (v128.load align=1 (i32.add (local.get $sx) (local.get $jb))))
                    (local.get $cnt)))))
            (local.set $jb (i32.add (local.get $jb) (i32.const 16)))
            (br $cols)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows2))))

  ;; lstmForwardBatch(h, c, act, tc, stats, s, xp, hp, cPrev, hPrev, vec, mask, B, H, count, eps): the BN-LSTM step
  ;; for B rows (count live); stats [9, G] as cells.ts lays them out, s 16G bytes of scratch.
  (func (export "lstmForwardBatch")
    (param $h i32) (param $c i32) (param $act i32) (param $tc i32) (param $stats i32) (param $s i32) (param $xp i32)
    (param $hp i32) (param $cPrev i32) (param $hPrev i32) (param $vec i32) (param $mask i32) (param $B i32)
    (param $H i32) (param $count f64) (param $eps f64)
    (local $r i32) (local $G i32) (local $gb i32) (local $hb i32) (local $base i32) (local $rh i32)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gb (i32.shl (local.get $G) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (call $colMoments (local.get $hp) (local.get $B) (local.get $G) (local.get $mask) (local.get $count) (local.get $eps)
      (local.get $stats) (i32.add (local.get $stats) (local.get $gb)) (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 6)))
      (local.get $s))
    (call $colMoments (local.get $xp) (local.get $B) (local.get $G) (local.get $mask) (local.get $count) (local.get $eps)
      (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 1))) (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 3)))
      (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 7))) (local.get $s))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (call $colPre (i32.add (local.get $act) (local.get $base)) (i32.add (local.get $hp) (local.get $base))
        (i32.add (local.get $xp) (local.get $base)) (local.get $vec) (local.get $G) (local.get $stats)
        (i32.add (local.get $stats) (local.get $gb)) (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 1)))
        (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 3))))
      (call $sigmoid (i32.add (local.get $act) (local.get $base)) (i32.mul (local.get $H) (i32.const 3)))
      (call $tanh (i32.add (i32.add (local.get $act) (local.get $base)) (i32.mul (local.get $hb) (i32.const 3))) (local.get $H))
      (call $cellUpdate (i32.add (local.get $c) (local.get $rh)) (i32.add (local.get $act) (local.get $base))
        (i32.add (local.get $cPrev) (local.get $rh)) (local.get $H))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next)))
    (call $colMoments (local.get $c) (local.get $B) (local.get $H) (local.get $mask) (local.get $count) (local.get $eps)
      (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 2))) (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 5)))
      (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 3))) (local.get $s))
    (local.set $r (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (call $colAffine (i32.add (local.get $tc) (local.get $rh)) (i32.add (local.get $c) (local.get $rh))
        (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 2))) (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 5)))
        (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 5)))
        (i32.add (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 5))) (local.get $hb)) (local.get $H))
      (call $tanh (i32.add (local.get $tc) (local.get $rh)) (local.get $H))
      (call $mul (i32.add (local.get $h) (local.get $rh))
        (i32.add (i32.add (local.get $act) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
        (i32.add (local.get $tc) (local.get $rh)) (local.get $H))
      (if (f32.eq (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (call $copy (i32.add (local.get $h) (local.get $rh)) (i32.add (local.get $hPrev) (local.get $rh)) (local.get $H))
          (call $copy (i32.add (local.get $c) (local.get $rh)) (i32.add (local.get $cPrev) (local.get $rh)) (local.get $H))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))

  ;; lstmBackwardBatch(dhp, dxp, dcPrev, dhCarry, acc, s, dhs, dhRec, dhCarryIn, dc, act, c, cPrev, tc, hp, xp, stats,
  ;; vec, mask, B, H, count): the BN-LSTM step's backward (s 8G bytes of scratch).
  (func (export "lstmBackwardBatch")
    (param $dhp i32) (param $dxp i32) (param $dcPrev i32) (param $dhCarry i32) (param $acc i32) (param $s i32)
    (param $dhs i32) (param $dhRec i32) (param $dhCarryIn i32) (param $dc i32) (param $act i32) (param $c i32)
    (param $cPrev i32) (param $tc i32) (param $hp i32) (param $xp i32) (param $stats i32) (param $vec i32)
    (param $mask i32) (param $B i32) (param $H i32) (param $count f32)
    (local $r i32) (local $G i32) (local $gb i32) (local $hb i32) (local $base i32) (local $rh i32) (local $live i32)
    (local.set $G (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gb (i32.shl (local.get $G) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    ;; dh (into dhCarry's rows), o's pre-activation (dxp) and norm(c)'s gradient (dcPrev) per live row
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (call $add3 (i32.add (local.get $dhCarry) (local.get $rh)) (i32.add (local.get $dhs) (local.get $rh))
        (i32.add (local.get $dhRec) (local.get $rh)) (i32.add (local.get $dhCarryIn) (local.get $rh)) (local.get $H))
      (if (f32.ne (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then (call $lstmOut (i32.add (i32.add (local.get $dxp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
          (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dhCarry) (local.get $rh))
          (i32.add (i32.add (local.get $act) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
          (i32.add (local.get $tc) (local.get $rh)) (local.get $H))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next)))
    ;; through c's norm (dead rows get 0, set below)
    (call $colBackward (local.get $dcPrev) (local.get $dcPrev) (local.get $c) (local.get $B) (local.get $H) (local.get $mask)
      (local.get $count) (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 2)))
      (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 5))) (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 5)))
      (i32.add (local.get $acc) (i32.mul (local.get $gb) (i32.const 5)))
      (i32.add (i32.add (local.get $acc) (i32.mul (local.get $gb) (i32.const 5))) (local.get $hb)) (local.get $s))
    (local.set $r (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (if (f32.ne (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (call $lstmGates (i32.add (local.get $dxp) (local.get $base)) (i32.add (local.get $dcPrev) (local.get $rh))
            (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dc) (local.get $rh))
            (i32.add (local.get $cPrev) (local.get $rh)) (i32.add (local.get $act) (local.get $base)) (local.get $H))
          (call $addInto (local.get $acc) (i32.add (local.get $dxp) (local.get $base)) (local.get $G))
          (call $zero (i32.add (local.get $dhCarry) (local.get $rh)) (local.get $H)))
        (else
          (call $copy (i32.add (local.get $dcPrev) (local.get $rh)) (i32.add (local.get $dc) (local.get $rh)) (local.get $H))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next)))
    (call $colBackward (local.get $dhp) (local.get $dxp) (local.get $hp) (local.get $B) (local.get $G) (local.get $mask)
      (local.get $count) (local.get $stats) (i32.add (local.get $stats) (local.get $gb)) (i32.add (local.get $vec) (local.get $gb))
      (i32.add (local.get $acc) (local.get $gb)) (i32.add (local.get $acc) (i32.shl (local.get $gb) (i32.const 1))) (local.get $s))
    (call $colBackward (local.get $dxp) (local.get $dxp) (local.get $xp) (local.get $B) (local.get $G) (local.get $mask)
      (local.get $count) (i32.add (local.get $stats) (i32.shl (local.get $gb) (i32.const 1)))
      (i32.add (local.get $stats) (i32.mul (local.get $gb) (i32.const 3))) (i32.add (local.get $vec) (i32.mul (local.get $gb) (i32.const 3)))
      (i32.add (local.get $acc) (i32.mul (local.get $gb) (i32.const 3))) (i32.add (local.get $acc) (i32.shl (local.get $gb) (i32.const 2)))
      (local.get $s)))

  ;; ---- GRU (gru-rows in cells.ts): act holds z, r and the candidate n, H values each ----

  ;; pre2(out, hp, xp, n, gh, bh, gx, bx, mh, rh, mx, rx): out = (hp - mh) rh gh + bh + (xp - mx) rx gx + bx.
  (func $pre2 (param $out i32) (param $hp i32) (param $xp i32) (param $n i32) (param $gh i32) (param $bh i32)
    (param $gx i32) (param $bx i32) (param $mh f32) (param $rh f32) (param $mx f32) (param $rx f32)
    (local $i i32) (local $end i32) (local $mh4 v128) (local $rh4 v128) (local $mx4 v128) (local $rx4 v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $mh4 (f32x4.splat (local.get $mh)))
    (local.set $rh4 (f32x4.splat (local.get $rh)))
    (local.set $mx4 (f32x4.splat (local.get $mx)))
    (local.set $rx4 (f32x4.splat (local.get $rx)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add
          (f32x4.add
            (f32x4.mul (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $hp) (local.get $i))) (local.get $mh4))
              (local.get $rh4)) (v128.load align=1 (i32.add (local.get $gh) (local.get $i))))
            (v128.load align=1 (i32.add (local.get $bh) (local.get $i))))
          (f32x4.add
            (f32x4.mul (f32x4.mul (f32x4.sub (v128.load align=1 (i32.add (local.get $xp) (local.get $i))) (local.get $mx4))
              (local.get $rx4)) (v128.load align=1 (i32.add (local.get $gx) (local.get $i))))
            (v128.load align=1 (i32.add (local.get $bx) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; gruCand(out, r, w, u, n): out = w + r u (the candidate's pre-activation from its two terms, normalized or not).
  (func $gruCand (param $out i32) (param $r i32) (param $w i32) (param $u i32) (param $n i32)
    (local $i i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (v128.store align=1 (i32.add (local.get $out) (local.get $i))
        (f32x4.add (v128.load align=1 (i32.add (local.get $w) (local.get $i)))
          (f32x4.mul (v128.load align=1 (i32.add (local.get $r) (local.get $i)))
            (v128.load align=1 (i32.add (local.get $u) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; gruOut(h, act, hPrev, n): h = (1 - z) hPrev + z n, z and n in act.
  (func $gruOut (param $h i32) (param $act i32) (param $hPrev i32) (param $n i32)
    (local $i i32) (local $end i32) (local $z v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $z (v128.load align=1 (i32.add (local.get $act) (local.get $i))))
      (v128.store align=1 (i32.add (local.get $h) (local.get $i))
        (f32x4.add
          (f32x4.mul (f32x4.sub (f32x4.splat (f32.const 1)) (local.get $z)) (v128.load align=1 (i32.add (local.get $hPrev) (local.get $i))))
          (f32x4.mul (local.get $z)
            (v128.load align=1 (i32.add (i32.add (local.get $act) (i32.shl (local.get $end) (i32.const 1))) (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; gruForwardRows(h, act, stats, xp, hp, hPrev, vec, mask, B, H, norm, eps): the GRU step for B rows; norm 0 none,
  ;; 1 layer, 2 RMSNorm (mean 0) (stats: 8 a row, mean and rstd of W_h h, U h, W_x x, W x; vec as cells.ts PACKS
  ;; lays it out).
  (func (export "gruForwardRows")
    (param $h i32) (param $act i32) (param $stats i32) (param $xp i32) (param $hp i32) (param $hPrev i32) (param $vec i32)
    (param $mask i32) (param $B i32) (param $H i32) (param $norm i32) (param $eps f64)
    (local $r i32) (local $G i32) (local $gb i32) (local $hb i32) (local $base i32) (local $rh i32) (local $st i32)
    (local $mh f64) (local $sh f64) (local $mu f64) (local $su f64) (local $mx f64) (local $sx f64) (local $mw f64) (local $sw f64)
    (local $h2 i32) (local $zr i32) (local $cand i32)
    (local.set $G (i32.mul (local.get $H) (i32.const 3)))
    (local.set $gb (i32.shl (local.get $G) (i32.const 2)))
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $h2 (i32.shl (local.get $H) (i32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (local.set $zr (i32.add (local.get $act) (local.get $base)))
      (local.set $cand (i32.add (local.get $zr) (i32.shl (local.get $hb) (i32.const 1))))
      (if (local.get $norm)
        (then
          (local.set $st (i32.add (local.get $stats) (i32.mul (local.get $r) (i32.const 32))))
          (local.set $mh (call $centre (i32.add (local.get $hp) (local.get $base)) (local.get $h2) (local.get $norm)))
          (local.set $sh (call $rstd (i32.add (local.get $hp) (local.get $base)) (local.get $h2) (local.get $mh) (local.get $eps)))
          (local.set $mu (call $centre (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1))) (local.get $H) (local.get $norm)))
          (local.set $su (call $rstd (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (local.get $H) (local.get $mu) (local.get $eps)))
          (local.set $mx (call $centre (i32.add (local.get $xp) (local.get $base)) (local.get $h2) (local.get $norm)))
          (local.set $sx (call $rstd (i32.add (local.get $xp) (local.get $base)) (local.get $h2) (local.get $mx) (local.get $eps)))
          (local.set $mw (call $centre (i32.add (i32.add (local.get $xp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1))) (local.get $H) (local.get $norm)))
          (local.set $sw (call $rstd (i32.add (i32.add (local.get $xp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (local.get $H) (local.get $mw) (local.get $eps)))
          (f32.store (local.get $st) (f32.demote_f64 (local.get $mh)))
          (f32.store offset=4 (local.get $st) (f32.demote_f64 (local.get $sh)))
          (f32.store offset=8 (local.get $st) (f32.demote_f64 (local.get $mu)))
          (f32.store offset=12 (local.get $st) (f32.demote_f64 (local.get $su)))
          (f32.store offset=16 (local.get $st) (f32.demote_f64 (local.get $mx)))
          (f32.store offset=20 (local.get $st) (f32.demote_f64 (local.get $sx)))
          (f32.store offset=24 (local.get $st) (f32.demote_f64 (local.get $mw)))
          (f32.store offset=28 (local.get $st) (f32.demote_f64 (local.get $sw)))
          ;; (z, r) pre-activations; the candidate's normalized U h into its slot, then W x + r (U h)
          (call $pre2 (local.get $zr) (i32.add (local.get $hp) (local.get $base)) (i32.add (local.get $xp) (local.get $base))
            (local.get $h2) (local.get $vec) (i32.add (local.get $vec) (i32.shl (local.get $hb) (i32.const 1)))
            (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 6))) (i32.add (local.get $vec) (i32.shl (local.get $hb) (i32.const 3)))
            (f32.demote_f64 (local.get $mh)) (f32.demote_f64 (local.get $sh)) (f32.demote_f64 (local.get $mx)) (f32.demote_f64 (local.get $sx)))
          (call $sigmoid (local.get $zr) (local.get $h2))
          (call $affine (local.get $cand) (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (i32.add (local.get $vec) (i32.shl (local.get $hb) (i32.const 2))) (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 5)))
            (local.get $H) (f32.demote_f64 (local.get $mu)) (f32.demote_f64 (local.get $su)))
          (call $mul (local.get $cand) (local.get $cand) (i32.add (local.get $zr) (local.get $hb)) (local.get $H))
          (call $affine (i32.add (local.get $h) (local.get $rh)) (i32.add (i32.add (local.get $xp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 10))) (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 11)))
            (local.get $H) (f32.demote_f64 (local.get $mw)) (f32.demote_f64 (local.get $sw)))
          (call $addInto (local.get $cand) (i32.add (local.get $h) (local.get $rh)) (local.get $H)))
        (else
          (call $addPre (local.get $zr) (i32.add (local.get $hp) (local.get $base)) (i32.add (local.get $xp) (local.get $base))
            (local.get $vec) (local.get $h2))
          (call $sigmoid (local.get $zr) (local.get $h2))
          ;; W x + r (U h) + b_n
          (call $gruCand (local.get $cand) (i32.add (local.get $zr) (local.get $hb))
            (i32.add (i32.add (local.get $xp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
            (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1))) (local.get $H))
          (call $addInto (local.get $cand) (i32.add (local.get $vec) (i32.shl (local.get $hb) (i32.const 1))) (local.get $H))))
      (call $tanh (local.get $cand) (local.get $H))
      (if (f32.eq (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then (call $copy (i32.add (local.get $h) (local.get $rh)) (i32.add (local.get $hPrev) (local.get $rh)) (local.get $H)))
        (else (call $gruOut (i32.add (local.get $h) (local.get $rh)) (local.get $zr) (i32.add (local.get $hPrev) (local.get $rh)) (local.get $H))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))

  ;; gruGrad(dhp, dxp, carry, act, hPrev, n): per unit, with dh in carry and the candidate's U-term (normalized or
  ;; not) in dhp's U slot: the (z, r) pre-activations' gradients into both rows, r dpre into dhp's U slot, dpre into
  ;; dxp's W slot, and carry = dh (1 - z). dpre = dh z (1 - n^2), dz = dh (n - hPrev) z (1 - z), dr = dpre u r (1 - r).
  (func $gruGrad (param $dhp i32) (param $dxp i32) (param $carry i32) (param $act i32) (param $hPrev i32) (param $n i32)
    (local $i i32) (local $end i32) (local $dh v128) (local $z v128) (local $rg v128) (local $c v128) (local $dpre v128)
    (local $d v128) (local $one v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $dh (v128.load align=1 (i32.add (local.get $carry) (local.get $i))))
      (local.set $z (v128.load align=1 (i32.add (local.get $act) (local.get $i))))
      (local.set $rg (v128.load align=1 (i32.add (i32.add (local.get $act) (local.get $end)) (local.get $i))))
      (local.set $c (v128.load align=1 (i32.add (i32.add (local.get $act) (i32.shl (local.get $end) (i32.const 1))) (local.get $i))))
      (local.set $dpre (f32x4.mul (f32x4.mul (local.get $dh) (local.get $z)) (f32x4.sub (local.get $one) (f32x4.mul (local.get $c) (local.get $c)))))
      ;; dz pre-activation
      (local.set $d (f32x4.mul (f32x4.mul (local.get $dh) (f32x4.sub (local.get $c) (v128.load align=1 (i32.add (local.get $hPrev) (local.get $i)))))
        (f32x4.mul (local.get $z) (f32x4.sub (local.get $one) (local.get $z)))))
      (v128.store align=1 (i32.add (local.get $dhp) (local.get $i)) (local.get $d))
      (v128.store align=1 (i32.add (local.get $dxp) (local.get $i)) (local.get $d))
      ;; dr pre-activation, from the U-term in dhp's U slot
      (local.set $d (f32x4.mul (f32x4.mul (local.get $dpre)
          (v128.load align=1 (i32.add (i32.add (local.get $dhp) (i32.shl (local.get $end) (i32.const 1))) (local.get $i))))
        (f32x4.mul (local.get $rg) (f32x4.sub (local.get $one) (local.get $rg)))))
      (v128.store align=1 (i32.add (i32.add (local.get $dhp) (local.get $end)) (local.get $i)) (local.get $d))
      (v128.store align=1 (i32.add (i32.add (local.get $dxp) (local.get $end)) (local.get $i)) (local.get $d))
      (v128.store align=1 (i32.add (i32.add (local.get $dhp) (i32.shl (local.get $end) (i32.const 1))) (local.get $i))
        (f32x4.mul (local.get $dpre) (local.get $rg)))
      (v128.store align=1 (i32.add (i32.add (local.get $dxp) (i32.shl (local.get $end) (i32.const 1))) (local.get $i)) (local.get $dpre))
      (v128.store align=1 (i32.add (local.get $carry) (local.get $i)) (f32x4.mul (local.get $dh) (f32x4.sub (local.get $one) (local.get $z))))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $next))))

  ;; gruBackwardRows(dhp, dxp, dhCarry, acc, dhs, dhRec, dhCarryIn, act, hp, xp, hPrev, stats, vec, mask, B, H,
  ;; norm): the GRU step's backward for B rows; adds vec's gradient into acc (float32).
  (func (export "gruBackwardRows")
    (param $dhp i32) (param $dxp i32) (param $dhCarry i32) (param $acc i32) (param $dhs i32) (param $dhRec i32)
    (param $dhCarryIn i32) (param $act i32) (param $hp i32) (param $xp i32) (param $hPrev i32) (param $stats i32)
    (param $vec i32) (param $mask i32) (param $B i32) (param $H i32) (param $norm i32)
    (local $r i32) (local $gb i32) (local $hb i32) (local $base i32) (local $rh i32) (local $st i32) (local $h2 i32)
    (local $uSlot i32)
    (local.set $hb (i32.shl (local.get $H) (i32.const 2)))
    (local.set $gb (i32.mul (local.get $hb) (i32.const 3)))
    (local.set $h2 (i32.shl (local.get $H) (i32.const 1)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $B)))
      (local.set $base (i32.mul (local.get $r) (local.get $gb)))
      (local.set $rh (i32.mul (local.get $r) (local.get $hb)))
      (local.set $st (i32.add (local.get $stats) (i32.mul (local.get $r) (i32.const 32))))
      (local.set $uSlot (i32.add (i32.add (local.get $dhp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1))))
      (call $add3 (i32.add (local.get $dhCarry) (local.get $rh)) (i32.add (local.get $dhs) (local.get $rh))
        (i32.add (local.get $dhRec) (local.get $rh)) (i32.add (local.get $dhCarryIn) (local.get $rh)) (local.get $H))
      (if (f32.eq (f32.load (i32.add (local.get $mask) (i32.shl (local.get $r) (i32.const 2)))) (f32.const 0))
        (then
          (call $zero (i32.add (local.get $dhp) (local.get $base)) (i32.mul (local.get $H) (i32.const 3)))
          (call $zero (i32.add (local.get $dxp) (local.get $base)) (i32.mul (local.get $H) (i32.const 3))))
        (else
          (if (local.get $norm)
            (then (call $affine (local.get $uSlot) (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
              (i32.add (local.get $vec) (i32.shl (local.get $hb) (i32.const 2))) (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 5)))
              (local.get $H) (f32.load offset=8 (local.get $st)) (f32.load offset=12 (local.get $st))))
            (else (call $copy (local.get $uSlot) (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1))) (local.get $H))))
          (call $gruGrad (i32.add (local.get $dhp) (local.get $base)) (i32.add (local.get $dxp) (local.get $base))
            (i32.add (local.get $dhCarry) (local.get $rh)) (i32.add (local.get $act) (local.get $base))
            (i32.add (local.get $hPrev) (local.get $rh)) (local.get $H))
          (if (local.get $norm)
            (then
              (call $termBackward (i32.add (local.get $dhp) (local.get $base)) (i32.add (local.get $dhp) (local.get $base))
                (i32.add (local.get $hp) (local.get $base)) (local.get $vec) (local.get $h2)
                (f32.load (local.get $st)) (f32.load offset=4 (local.get $st))
                (local.get $acc) (i32.add (local.get $acc) (i32.shl (local.get $hb) (i32.const 1))) (local.get $norm))
              (call $termBackward (local.get $uSlot) (local.get $uSlot)
                (i32.add (i32.add (local.get $hp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
                (i32.add (local.get $vec) (i32.shl (local.get $hb) (i32.const 2))) (local.get $H)
                (f32.load offset=8 (local.get $st)) (f32.load offset=12 (local.get $st))
                (i32.add (local.get $acc) (i32.shl (local.get $hb) (i32.const 2))) (i32.add (local.get $acc) (i32.mul (local.get $hb) (i32.const 5))) (local.get $norm))
              (call $termBackward (i32.add (local.get $dxp) (local.get $base)) (i32.add (local.get $dxp) (local.get $base))
                (i32.add (local.get $xp) (local.get $base)) (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 6))) (local.get $h2)
                (f32.load offset=16 (local.get $st)) (f32.load offset=20 (local.get $st))
                (i32.add (local.get $acc) (i32.mul (local.get $hb) (i32.const 6))) (i32.add (local.get $acc) (i32.shl (local.get $hb) (i32.const 3))) (local.get $norm))
              (call $termBackward (i32.add (i32.add (local.get $dxp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
                (i32.add (i32.add (local.get $dxp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
                (i32.add (i32.add (local.get $xp) (local.get $base)) (i32.shl (local.get $hb) (i32.const 1)))
                (i32.add (local.get $vec) (i32.mul (local.get $hb) (i32.const 10))) (local.get $H)
                (f32.load offset=24 (local.get $st)) (f32.load offset=28 (local.get $st))
                (i32.add (local.get $acc) (i32.mul (local.get $hb) (i32.const 10))) (i32.add (local.get $acc) (i32.mul (local.get $hb) (i32.const 11))) (local.get $norm)))
            (else (call $addInto (local.get $acc) (i32.add (local.get $dxp) (local.get $base)) (i32.mul (local.get $H) (i32.const 3)))))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))
)
