#ifndef EGRESSGW_CMNL_SHIM_H
#define EGRESSGW_CMNL_SHIM_H
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <linux/genetlink.h>
#include <linux/veth.h>
#include <linux/wireguard.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/prctl.h>

// Swift cannot call variadic or macro-only APIs; these small wrappers give it what it needs.
// CLONE_NEWNET is only visible with _GNU_SOURCE, which Swift's Glibc module does not define.
static inline int egressgw_setns_net(int fd) { return (int)syscall(SYS_setns, fd, 0x40000000); }
static inline int egressgw_unshare_net(void) { return (int)syscall(SYS_unshare, 0x40000000); }
static inline long egressgw_gettid(void) { return syscall(SYS_gettid); }
static inline int egressgw_pipe_cloexec(int fds[2]) { return (int)syscall(SYS_pipe2, fds, O_CLOEXEC); }
// prctl is variadic. A subreaper inherits the orphans of its descendants (daemons that fork).
static inline int egressgw_set_child_subreaper(int on) { return prctl(PR_SET_CHILD_SUBREAPER, (unsigned long)on, 0, 0, 0); }
static inline int egressgw_is_child_subreaper(void) { int on = 0; return prctl(PR_GET_CHILD_SUBREAPER, &on, 0, 0, 0) == 0 ? on : -1; }
#endif
