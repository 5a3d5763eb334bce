package lookalike

// appendPunycode appends the A-label of a U-label ("xn--" and its Punycode, RFC 3492).
// The generator encodes thousands of labels per name; doing it here, on runes already at
// hand and into a reused buffer, costs a fraction of a general IDNA call. Tests check it
// against golang.org/x/net/idna.
func appendPunycode(dst []byte, rs []rune) []byte {
	const (
		base        = 36
		tmin        = 1
		tmax        = 26
		initialBias = 72
		initialN    = 128
	)
	dst = append(dst, "xn--"...)
	basic := 0
	for _, r := range rs {
		if r < 0x80 {
			dst = append(dst, byte(r))
			basic++
		}
	}
	if basic > 0 {
		dst = append(dst, '-')
	}
	n, delta, bias, done := rune(initialN), 0, initialBias, basic
	for done < len(rs) {
		m := rune(0x7fffffff)
		for _, r := range rs {
			if r >= n && r < m {
				m = r
			}
		}
		delta += int(m-n) * (done + 1)
		n = m
		for _, r := range rs {
			if r < n {
				delta++
			}
			if r != n {
				continue
			}
			q := delta
			for k := base; ; k += base {
				t := min(max(k-bias, tmin), tmax)
				if q < t {
					break
				}
				dst = append(dst, punyDigit(t+(q-t)%(base-t)))
				q = (q - t) / (base - t)
			}
			dst = append(dst, punyDigit(q))
			bias = punyAdapt(delta, done+1, done == basic)
			delta = 0
			done++
		}
		delta++
		n++
	}
	return dst
}

func punyDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

func punyAdapt(delta, points int, first bool) int {
	const (
		base = 36
		tmin = 1
		tmax = 26
		skew = 38
		damp = 700
	)
	if first {
		delta /= damp
	} else {
		delta /= 2
	}
	delta += delta / points
	k := 0
	for delta > (base-tmin)*tmax/2 {
		delta /= base - tmin
		k += base
	}
	return k + (base-tmin+1)*delta/(delta+skew)
}
