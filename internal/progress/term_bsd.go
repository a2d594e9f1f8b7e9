//go:build darwin || freebsd || netbsd || openbsd || dragonfly

package progress

import "syscall"

const ioctlGetTermios = syscall.TIOCGETA
