// SPDX-License-Identifier: GPL-2.0-only
/* Attach, detach and read the tunnel decapsulation program (decap.h). */
#include "decap.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "decap.skel.h"

#define DECAP_NAME "xdp_decap"

static int iface(const char *ifname, int *ifindex, __u32 *id, char *name,
		 size_t len, enum xdp_attach_mode *mode, char *err,
		 size_t errlen)
{
	int ret;

	*ifindex = strlen(ifname) < IF_NAMESIZE ? (int)if_nametoindex(ifname) :
						  0;
	if (!*ifindex) {
		snprintf(err, errlen, "unknown interface '%s'", ifname);
		return -ENODEV;
	}
	ret = dp_attached_prog(*ifindex, id, name, len, mode);
	if (ret)
		snprintf(err, errlen, "cannot query XDP on '%s': %s", ifname,
			 strerror(-ret));
	return ret;
}

int decap_attach(const char *ifname, enum xdp_attach_mode mode, char *err,
		 size_t errlen)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xopts);
	char name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode cur_mode;
	struct xdp_program *xp;
	struct decap *skel;
	int ifindex, ret;
	__u32 id;

	ret = iface(ifname, &ifindex, &id, name, sizeof(name), &cur_mode, err,
		    errlen);
	if (ret)
		return ret;
	if (id && strcmp(name, DECAP_NAME)) {
		snprintf(err, errlen,
			 "'%s' already has an XDP program (id %u, name '%s'): detach it first",
			 ifname, id, name);
		return -EBUSY;
	}
	if (id) { /* ours: replace it with a fresh one */
		ret = decap_detach(ifname, err, errlen);
		if (ret)
			return ret;
	}
	skel = decap__open_and_load();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot load the decap program: %s",
			 strerror(-ret));
		return ret;
	}
	xopts.fd = bpf_program__fd(skel->progs.xdp_decap);
	xp = xdp_program__create(&xopts);
	ret = libxdp_get_error(xp);
	if (ret) {
		snprintf(err, errlen, "cannot create the libxdp program: %s",
			 strerror(-ret));
		decap__destroy(skel);
		return ret;
	}
	ret = xdp_program__attach(xp, ifindex, mode, 0);
	if (ret)
		snprintf(err, errlen, "cannot attach to '%s' in %s mode: %s%s",
			 ifname, dp_mode_str(mode), strerror(-ret),
			 mode == XDP_MODE_NATIVE ? " (try --xdp-mode skb)" : "");
	xdp_program__close(xp); /* the attachment holds the program */
	decap__destroy(skel);
	return ret;
}

int decap_detach(const char *ifname, char *err, size_t errlen)
{
	char name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode mode;
	struct xdp_multiprog *mp;
	int ifindex, ret;
	__u32 id;

	ret = iface(ifname, &ifindex, &id, name, sizeof(name), &mode, err,
		    errlen);
	if (ret)
		return ret;
	if (!id) {
		snprintf(err, errlen, "no decap program on '%s'", ifname);
		return -ENOENT;
	}
	if (strcmp(name, DECAP_NAME)) {
		snprintf(err, errlen,
			 "the XDP program on '%s' is '%s', not the decap program: not detaching it",
			 ifname, name);
		return -EBUSY;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	ret = libxdp_get_error(mp);
	if (!ret) {
		ret = xdp_multiprog__detach(mp);
		xdp_multiprog__close(mp);
	}
	if (ret)
		snprintf(err, errlen, "cannot detach from '%s': %s", ifname,
			 strerror(-ret));
	return ret;
}

int decap_counters(const char *ifname, __u64 *done, __u64 *passed, char *err,
		   size_t errlen)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), map_ids[4] = {}, i, key;
	char name[BPF_OBJ_NAME_LEN];
	enum xdp_attach_mode mode;
	int ifindex, fd, ret, ncpu = libbpf_num_possible_cpus();
	__u64 *v;
	__u32 id;

	ret = iface(ifname, &ifindex, &id, name, sizeof(name), &mode, err,
		    errlen);
	if (ret)
		return ret;
	if (!id || strcmp(name, DECAP_NAME)) {
		snprintf(err, errlen, "no decap program on '%s'", ifname);
		return -ENOENT;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		goto fail;
	info.nr_map_ids = 4;
	info.map_ids = (__u64)(unsigned long)map_ids;
	ret = bpf_obj_get_info_by_fd(fd, &info, &len);
	close(fd);
	if (ret || !info.nr_map_ids)
		goto fail;
	v = calloc(ncpu > 0 ? ncpu : 1, sizeof(*v));
	if (!v)
		goto fail;
	*done = *passed = 0;
	for (i = 0; i < info.nr_map_ids && i < 4; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int c;

		fd = bpf_map_get_fd_by_id(map_ids[i]);
		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen) ||
		    strcmp(mi.name, "decap_stats")) {
			close(fd);
			continue;
		}
		for (key = 0; key < 2; key++) {
			if (bpf_map_lookup_elem(fd, &key, v))
				continue;
			for (c = 0; c < ncpu; c++)
				*(key ? passed : done) += v[c];
		}
		close(fd);
	}
	free(v);
	return 0;
fail:
	ret = -errno;
	snprintf(err, errlen, "cannot read the decap counters on '%s': %s",
		 ifname, strerror(errno));
	return ret;
}
