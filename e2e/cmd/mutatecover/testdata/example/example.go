package example

const limit = 2 * 64

var names = []string{"a" + "b"}

var handler = func() int { return 1 + 1 }

func class(b byte) string {
	switch {
	case 'a' <= b && b <= 'z':
		return "letter"
	case b == '-',
		b == '_':
		return "mark"
	}
	return "other"
}

func never(n int) int {
	switch {
	case n > 1:
		return n
	}
	return 0
}
