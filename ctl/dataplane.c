// SPDX-License-Identifier: GPL-2.0-only
/*
 * The data plane, load and attach: host setup (bpffs, pin directory,
 * MACs), "is this our program", pin validation, the skeleton's load
 * through maps.c, attach or atomic replace, detach. The map accessors are
 * in dp_maps.c, the flow-table walks in dp_flows.c.
 */
#include "dataplane.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "maps.h"
#include "xdp_lb.skel.h"

#define BPF_FS_MAGIC 0xcafe4a11
#define XLB_PROG_NAME "xdp_lb" /* the XDP program's name in the kernel */

void dp_pin_dir(const char *ifname, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", XLB_PIN_ROOT, ifname);
}

static int ensure_bpffs(char *err, size_t errlen)
{
	struct statfs st;

	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL)) {
		snprintf(err, errlen,
			 "cannot mount bpffs on /sys/fs/bpf: %s (mount -t bpf bpf /sys/fs/bpf)",
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static int mkdir_p(const char *dir)
{
	char tmp[256], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int if_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

/* Name of the program attached to ifindex (any mode), or "" if none. */
int dp_attached_prog(int ifindex, __u32 *id, char *name, size_t len,
		     enum xdp_attach_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd, err;

	name[0] = '\0';
	*id = 0;
	err = bpf_xdp_query(ifindex, 0, &q);
	if (err)
		return err;
	if (q.drv_prog_id) {
		*id = q.drv_prog_id;
		*mode = XDP_MODE_NATIVE;
	} else if (q.skb_prog_id) {
		*id = q.skb_prog_id;
		*mode = XDP_MODE_SKB;
	} else if (q.hw_prog_id) {
		*id = q.hw_prog_id;
		*mode = XDP_MODE_HW;
	} else {
		return 0;
	}
	fd = bpf_prog_get_fd_by_id(*id);
	if (fd < 0)
		return -errno;
	err = bpf_obj_get_info_by_fd(fd, &info, &info_len);
	close(fd);
	if (err)
		return -errno;
	snprintf(name, len, "%s", info.name);
	return 0;
}

const char *dp_mode_str(enum xdp_attach_mode m)
{
	switch (m) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "unspecified";
	}
}

static int ifindex_of(const char *ifname)
{
	return strlen(ifname) < IF_NAMESIZE ? (int)if_nametoindex(ifname) : 0;
}

/*
 * Is the XDP program on ifindex ours? 1: it is xdp-lb's (*id, *mode set);
 * 0: there is none (*id 0); -EBUSY: it is another one (its name in name);
 * another negative errno: XDP cannot be queried.
 */
static int prog_is_ours(int ifindex, __u32 *id, enum xdp_attach_mode *mode,
			char *name, size_t len)
{
	int ret = dp_attached_prog(ifindex, id, name, len, mode);

	if (ret)
		return ret;
	if (!*id)
		return 0;
	return strcmp(name, XLB_PROG_NAME) ? -EBUSY : 1;
}

/* The size record pinned in dir. */
static int read_meta(const char *dir, struct lb_meta *m)
{
	char path[300];
	__u32 key = 0;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/xlb_meta", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &key, m))
		ret = -errno;
	close(fd);
	return ret;
}

/* The probe program on the interface's tc egress (clsact, our handle and
 * priority), replacing an earlier copy of ours. */
int dp_tc_attach(struct dp *dp)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = dp->ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIO,
		    .prog_fd = bpf_program__fd(dp->skel->progs.xlb_probe_tx),
		    .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

static void tc_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = XLB_TC_HANDLE,
		    .priority = XLB_TC_PRIO);

	bpf_tc_detach(&hook, &opts); /* absent is fine */
}

int dp_write_meta(struct dp *dp)
{
	struct lb_meta m = { .table_size = dp->table_size,
			     .max_flows = dp->max_flows,
			     .max_services = dp->max_services,
			     .max_backends = dp->max_backends,
			     .int_ifindex = dp->int_ifindex };
	__u32 key = 0;

	return bpf_map__update_elem(dp->skel->maps.xlb_meta, &key, sizeof(key),
				    &m, sizeof(m), 0);
}

int dp_read_meta(const char *ifname, struct dp_opts *o, char *err,
		 size_t errlen)
{
	enum xdp_attach_mode mode = XDP_MODE_UNSPEC;
	char dir[128], name[BPF_OBJ_NAME_LEN];
	struct lb_meta m;
	int ifindex;
	__u32 id;

	ifindex = ifindex_of(ifname);
	if (!ifindex) {
		snprintf(err, errlen, "unknown interface '%s'", ifname);
		return -ENODEV;
	}
	if (prog_is_ours(ifindex, &id, &mode, name, sizeof(name)) != 1) {
		snprintf(err, errlen, "xdp-lb is not attached to '%s'", ifname);
		return -ENOENT;
	}
	dp_pin_dir(ifname, dir, sizeof(dir));
	if (read_meta(dir, &m) || !m.table_size) {
		snprintf(err, errlen,
			 "no size record at %s/xlb_meta: attached by an older xdp-lb? detach and attach again",
			 dir);
		return -ENOENT;
	}
	o->ifname = ifname;
	o->mode = mode;
	o->table_size = m.table_size;
	o->max_flows = m.max_flows;
	o->max_services = m.max_services;
	o->max_backends = m.max_backends;
	o->int_ifname = NULL;
	if (m.int_ifindex) {
		static char int_name[IF_NAMESIZE];

		if (!if_indextoname(m.int_ifindex, int_name)) {
			snprintf(err, errlen,
				 "the internal interface (ifindex %u) of '%s' is gone: detach and attach again",
				 m.int_ifindex, ifname);
			return -ENODEV;
		}
		o->int_ifname = int_name;
	}
	return 0;
}

/* The first IPv4 and the first global IPv6 address of ifname. */
static void iface_addrs(const char *ifname, struct lb_addr *a4,
			struct lb_addr *a6)
{
	struct ifaddrs *ifa, *i;

	memset(a4, 0, sizeof(*a4));
	memset(a6, 0, sizeof(*a6));
	if (getifaddrs(&ifa))
		return;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname))
			continue;
		if (i->ifa_addr->sa_family == AF_INET && !a4->family) {
			a4->family = AF_INET;
			memcpy(a4->b,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		} else if (i->ifa_addr->sa_family == AF_INET6 && !a6->family) {
			struct in6_addr *x =
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(x))
				continue;
			a6->family = AF_INET6;
			memcpy(a6->b, x, 16);
		}
	}
	freeifaddrs(ifa);
}

/* Swap the xdp-lb program with id cur_id on ifindex for fd, atomically
 * (XDP_FLAGS_REPLACE): no packet ever sees no program. */
static int replace_prog(int ifindex, int fd, __u32 cur_id,
			enum xdp_attach_mode cur_mode)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, aopts);
	int ret, old_fd = bpf_prog_get_fd_by_id(cur_id);

	aopts.old_prog_fd = old_fd;
	ret = bpf_xdp_attach(ifindex, fd,
			     XDP_FLAGS_REPLACE | (cur_mode == XDP_MODE_SKB ?
							  XDP_FLAGS_SKB_MODE :
							  XDP_FLAGS_DRV_MODE),
			     &aopts);
	if (old_fd >= 0)
		close(old_fd);
	return ret;
}
/* The XDP program on ifindex: none (*id 0) or an xdp-lb one (its id and
 * mode); anything else is refused with one line ("what" names the
 * interface's role, e.g. "internal interface "). */
static int our_prog_or_none(int ifindex, const char *ifname,
			    const char *what, __u32 *id,
			    enum xdp_attach_mode *mode, char *err,
			    size_t errlen)
{
	char name[BPF_OBJ_NAME_LEN];
	int ret;

	ret = prog_is_ours(ifindex, id, mode, name, sizeof(name));
	if (ret == -EBUSY)
		snprintf(err, errlen,
			 "%s'%s' already has an XDP program (id %u, name '%s'): detach it first",
			 what, ifname, *id, name);
	else if (ret < 0)
		snprintf(err, errlen, "cannot query XDP on '%s': %s", ifname,
			 strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* Attach our loaded program to ifindex, where none is: through libxdp,
 * whose handle lands in *xp. */
static int attach_new(struct dp *dp, int ifindex, enum xdp_attach_mode mode,
		      struct xdp_program **xp)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts);
	int ret;

	xopts.fd = bpf_program__fd(dp->skel->progs.xdp_lb);
	*xp = xdp_program__create(&xopts);
	ret = libxdp_get_error(*xp);
	if (ret) {
		*xp = NULL;
		return ret;
	}
	return xdp_program__attach(*xp, ifindex, mode, 0);
}

/* Attach our loaded program to one more interface (nat's internal one):
 * replace an earlier xdp-lb there, refuse anything else. */
static int attach_int(struct dp *dp, enum xdp_attach_mode mode, char *err,
		      size_t errlen)
{
	enum xdp_attach_mode cur_mode;
	int ret;
	__u32 id;

	ret = our_prog_or_none(dp->int_ifindex, dp->int_ifname,
			       "internal interface ", &id, &cur_mode, err,
			       errlen);
	if (ret)
		return ret;
	if (id)
		ret = replace_prog(dp->int_ifindex,
				   bpf_program__fd(dp->skel->progs.xdp_lb), id,
				   cur_mode);
	else
		ret = attach_new(dp, dp->int_ifindex, mode, &dp->xprog_int);
	if (ret)
		snprintf(err, errlen,
			 "cannot attach to internal interface '%s': %s",
			 dp->int_ifname, strerror(-ret));
	return ret;
}

/* Detach xdp_lb from ifindex if it is ours there. */
static void detach_if_ours(int ifindex)
{
	char name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode mode;
	struct xdp_multiprog *mp;
	__u32 id;

	if (prog_is_ours(ifindex, &id, &mode, name, sizeof(name)) != 1)
		return;
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (!libxdp_get_error(mp)) {
		xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
	}
}

/* ---- dp_open: short phases, one cleanup ladder ----------------------- */

/* What the phases of one dp_open share. */
struct open_ctx {
	const struct dp_opts *o;
	__u8 mac[6], int_mac[6];
	__u32 cur_id; /* our program already on the interface, or 0 */
	enum xdp_attach_mode cur_mode;
	char *err;
	size_t errlen;
};

static void open_init(struct dp *dp, const struct dp_opts *o)
{
	memset(dp, 0, sizeof(*dp));
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", o->ifname);
	dp->table_size = o->table_size;
	dp->max_flows = o->max_flows;
	dp->max_services = o->max_services;
	dp->max_backends = o->max_backends;
	dp->nr_cpus = libbpf_num_possible_cpus();
	dp_pin_dir(o->ifname, dp->pin_dir, sizeof(dp->pin_dir));
}

/* nat: the internal interface, its MAC and addresses. */
static int open_int_iface(struct dp *dp, struct open_ctx *c)
{
	const char *name = c->o->int_ifname;
	int ret;

	dp->int_ifindex = ifindex_of(name);
	if (!dp->int_ifindex) {
		snprintf(c->err, c->errlen, "unknown interface '%s'", name);
		return -ENODEV;
	}
	if (dp->int_ifindex == dp->ifindex) {
		snprintf(c->err, c->errlen,
			 "the internal interface must not be the external one ('%s')",
			 c->o->ifname);
		return -EINVAL;
	}
	snprintf(dp->int_ifname, sizeof(dp->int_ifname), "%s", name);
	ret = if_mac(name, c->int_mac);
	if (ret) {
		snprintf(c->err, c->errlen, "cannot read the MAC of '%s': %s",
			 name, strerror(-ret));
		return ret;
	}
	iface_addrs(name, &dp->int_addr4, &dp->int_addr6);
	return 0;
}

/* The interfaces, their MACs, and what is attached now. */
static int open_ifaces(struct dp *dp, struct open_ctx *c)
{
	const struct dp_opts *o = c->o;
	int ret;

	dp->ifindex = ifindex_of(o->ifname);
	if (!dp->ifindex) {
		snprintf(c->err, c->errlen, "unknown interface '%s'",
			 o->ifname);
		return -ENODEV;
	}
	ret = if_mac(o->ifname, c->mac);
	if (ret) {
		snprintf(c->err, c->errlen, "cannot read the MAC of '%s': %s",
			 o->ifname, strerror(-ret));
		return ret;
	}
	ret = our_prog_or_none(dp->ifindex, o->ifname, "", &c->cur_id,
			       &c->cur_mode, c->err, c->errlen);
	if (ret)
		return ret;
	if (c->cur_id && o->mode != c->cur_mode) {
		snprintf(c->err, c->errlen,
			 "xdp-lb is attached to '%s' in %s mode, not %s: detach it first or use --xdp-mode %s",
			 o->ifname, dp_mode_str(c->cur_mode),
			 dp_mode_str(o->mode), dp_mode_str(c->cur_mode));
		return -EBUSY;
	}
	return o->int_ifname ? open_int_iface(dp, c) : 0;
}

/* bpffs, and whether the pins are re-adopted: then with the same internal
 * interface as before, or none. */
static int open_pins(struct dp *dp, struct open_ctx *c)
{
	struct lb_meta m = {};
	char path[300], was[IF_NAMESIZE] = "?";
	int ret;

	ret = ensure_bpffs(c->err, c->errlen);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/xlb_meta", dp->pin_dir);
	dp->adopted = access(path, F_OK) == 0;
	if (!dp->adopted || read_meta(dp->pin_dir, &m) ||
	    m.int_ifindex == (__u32)dp->int_ifindex)
		return 0;
	if_indextoname(m.int_ifindex, was);
	if (m.int_ifindex)
		snprintf(c->err, c->errlen,
			 "'%s' was attached with --internal %s: give the same (or detach first)",
			 c->o->ifname, was);
	else
		snprintf(c->err, c->errlen,
			 "'%s' was attached without --internal: detach first to add one",
			 c->o->ifname);
	return -EINVAL;
}

/* Open the skeleton, prepare it (maps.c), check the pins, load. */
static int open_load(struct dp *dp, struct open_ctx *c)
{
	struct xlb_prep prep = { .nat_ifindex = dp->int_ifindex,
				 .pin_dir = dp->pin_dir };
	struct xlb_tmpl tmpl;
	int ret;

	prep.sz = (struct xlb_sizes){ .table_size = dp->table_size,
				      .max_flows = dp->max_flows,
				      .max_services = dp->max_services,
				      .max_backends = dp->max_backends };
	memcpy(prep.if_mac, c->mac, 6);
	memcpy(prep.int_mac, c->int_mac, 6);
	dp->skel = xdp_lb__open();
	if (!dp->skel) {
		ret = -errno;
		snprintf(c->err, c->errlen, "cannot open the BPF object: %s",
			 strerror(-ret));
		return ret;
	}
	ret = xlb_skel_prepare(dp->skel, &prep, &tmpl);
	if (ret) {
		snprintf(c->err, c->errlen, "cannot size the maps: %s",
			 strerror(-ret));
		return ret;
	}
	ret = xlb_pins_check(dp->skel, dp->pin_dir, &prep.sz, c->err,
			     c->errlen);
	if (!ret) {
		ret = xdp_lb__load(dp->skel);
		if (ret)
			snprintf(c->err, c->errlen,
				 "cannot load the XDP program: %s (run with -v for the verifier log)",
				 strerror(-ret));
	}
	if (!ret) {
		ret = xlb_ft_map(&dp->ft4, bpf_map__fd(dp->skel->maps.flows4),
				 xlb_ft_buckets(dp->max_flows));
		if (!ret)
			ret = xlb_ft6_map(&dp->ft6,
					  bpf_map__fd(dp->skel->maps.flows6),
					  bpf_map__fd(dp->skel->maps.flows6_keys),
					  xlb_ft_buckets(dp->max_flows));
		if (ret)
			snprintf(c->err, c->errlen,
				 "cannot map the flow table: %s",
				 strerror(-ret));
	}
	xlb_tmpl_close(&tmpl);
	return ret;
}

/* The loaded maps' first writes: the size record, nat's ports. */
static int open_setup(struct dp *dp, struct open_ctx *c)
{
	__u32 k = XLB_PORT_EXT, v = dp->ifindex;
	struct bpf_map *ports = dp->skel->maps.tx_ports;
	int ret;

	ret = dp_write_meta(dp);
	if (ret) {
		snprintf(c->err, c->errlen, "cannot write the size record: %s",
			 strerror(-ret));
		return ret;
	}
	if (!dp->int_ifindex)
		return 0;
	ret = bpf_map__update_elem(ports, &k, sizeof(k), &v, sizeof(v), 0);
	k = XLB_PORT_INT;
	v = dp->int_ifindex;
	if (!ret)
		ret = bpf_map__update_elem(ports, &k, sizeof(k), &v, sizeof(v),
					   0);
	if (ret)
		snprintf(c->err, c->errlen, "cannot set up the nat ports: %s",
			 strerror(-ret));
	return ret;
}

/* The external interface: replace our own program atomically (the maps
 * are the pinned ones, so no flow is lost and no packet sees no program),
 * or attach anew. */
static int open_attach(struct dp *dp, struct open_ctx *c)
{
	const struct dp_opts *o = c->o;
	int ret;

	dp->mode = c->cur_id ? c->cur_mode : o->mode;
	if (c->cur_id) {
		ret = replace_prog(dp->ifindex,
				   bpf_program__fd(dp->skel->progs.xdp_lb),
				   c->cur_id, c->cur_mode);
		if (ret)
			snprintf(c->err, c->errlen,
				 "cannot replace the XDP program on '%s': %s",
				 o->ifname, strerror(-ret));
		else
			dp->replaced = true;
		return ret;
	}
	ret = attach_new(dp, dp->ifindex, o->mode, &dp->xprog);
	if (ret)
		snprintf(c->err, c->errlen,
			 "cannot attach to '%s' in %s mode: %s%s", o->ifname,
			 dp_mode_str(o->mode), strerror(-ret),
			 o->mode == XDP_MODE_NATIVE ? " (try --xdp-mode skb)" :
						      "");
	return ret;
}

int dp_open(struct dp *dp, const struct dp_opts *o, char *err, size_t errlen)
{
	struct open_ctx c = { .o = o, .err = err, .errlen = errlen };
	int ret;

	open_init(dp, o);
	ret = open_ifaces(dp, &c);
	if (!ret)
		ret = open_pins(dp, &c);
	if (ret)
		return ret;
	ret = mkdir_p(dp->pin_dir);
	if (ret) {
		snprintf(err, errlen, "cannot create %s: %s", dp->pin_dir,
			 strerror(-ret));
		return ret;
	}
	ret = open_load(dp, &c);
	if (ret)
		goto err_close;
	ret = open_setup(dp, &c);
	if (!ret && dp->int_ifindex)
		ret = attach_int(dp, o->mode, err, errlen);
	if (ret)
		goto err_unpin;
	ret = open_attach(dp, &c);
	if (ret)
		goto err_detach_int;
	ret = dp_tc_attach(dp);
	if (ret)
		pr_warn("cannot attach the probe program to tc egress of '%s': %s (tunnel-mode probes will fail)\n",
			o->ifname, strerror(-ret));
	return 0;

err_detach_int:
	if (dp->xprog_int) /* attached here just now */
		detach_if_ours(dp->int_ifindex);
err_unpin:
	if (!dp->adopted)
		bpf_object__unpin_maps(dp->skel->obj, NULL);
err_close:
	dp_close(dp);
	if (!dp->adopted)
		rmdir(dp->pin_dir);
	return ret;
}

void dp_close(struct dp *dp)
{
	if (dp->xprog)
		xdp_program__close(dp->xprog);
	dp->xprog = NULL;
	if (dp->xprog_int)
		xdp_program__close(dp->xprog_int);
	dp->xprog_int = NULL;
	xlb_ft_unmap(&dp->ft4);
	xlb_ft_unmap(&dp->ft6);
	if (dp->skel)
		xdp_lb__destroy(dp->skel);
	dp->skel = NULL;
}

int dp_detach(const char *ifname, char *err, size_t errlen)
{
	char dir[128], path[300], name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode mode;
	struct xdp_multiprog *mp;
	struct lb_meta m;
	int ifindex, ret;
	bool pinned;
	size_t i;
	__u32 id;

	dp_pin_dir(ifname, dir, sizeof(dir));
	pinned = access(dir, F_OK) == 0;
	ifindex = ifindex_of(ifname);
	if (!ifindex && !pinned) {
		snprintf(err, errlen, "unknown interface '%s'", ifname);
		return -ENODEV;
	}
	if (ifindex) {
		ret = prog_is_ours(ifindex, &id, &mode, name, sizeof(name));
		if (ret == -EBUSY) {
			snprintf(err, errlen,
				 "the XDP program on '%s' is '%s', not xdp-lb: not detaching it",
				 ifname, name);
			return ret;
		}
		if (ret < 0) {
			snprintf(err, errlen, "cannot query XDP on '%s': %s",
				 ifname, strerror(-ret));
			return ret;
		}
		if (!id && !pinned) {
			snprintf(err, errlen, "xdp-lb is not attached to '%s'",
				 ifname);
			return -ENOENT;
		}
		tc_detach(ifindex);
		if (id) {
			mp = xdp_multiprog__get_from_ifindex(ifindex);
			ret = libxdp_get_error(mp);
			if (!ret) {
				ret = xdp_multiprog__detach(mp);
				xdp_multiprog__close(mp);
			}
			if (ret) {
				snprintf(err, errlen,
					 "cannot detach from '%s': %s", ifname,
					 strerror(-ret));
				return ret;
			}
		}
	}
	/* nat: the program on the internal interface goes too */
	if (!read_meta(dir, &m) && m.int_ifindex) {
		tc_detach(m.int_ifindex);
		detach_if_ours(m.int_ifindex);
	}
	for (i = 0; i < xlb_nr_maps; i++) {
		if (!xlb_maps[i].pinned)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, xlb_maps[i].name);
		unlink(path);
	}
	for (i = 0; i < xlb_nr_old_pins; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, xlb_old_pins[i]);
		unlink(path);
	}
	if (pinned && rmdir(dir) && errno != ENOENT) {
		snprintf(err, errlen, "detached, but cannot remove %s: %s", dir,
			 strerror(errno));
		return -errno;
	}
	return 0;
}
