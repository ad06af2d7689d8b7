// SPDX-License-Identifier: GPL-2.0-only
/*
 * The fixture table of the packet tests: name, packet builder spec,
 * expected verdict, the counter that moves, the flow state; run_case()
 * checks every output byte. Run by test_xdp_dsr; test_xdp_limits runs its
 * forwarded rows again under every size the verifier must accept.
 */
#define _GNU_SOURCE
#include "xdp_env.h"

/*
 * Output packet: for XDP_TX the input with the destination MAC of the back
 * end the flow is pinned to and the source MAC if_mac; otherwise the input
 * unchanged. Rows are spelled out in full on purpose.
 */
/* clang-format off */
const struct pkt_case cases[] = {
	/* Not ours: passed unchanged, nothing pinned. */
	{ .name = "pass_not_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = NOT_VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_not_vip_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = NOT_VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_not_ip",
	  .pkt = { .ethertype = ETH_P_ARP, .family = AF_INET, .saddr = CLIENT4,
		   .daddr = VIP4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_IP },
	{ .name = "pass_not_ip_vlan",
	  .pkt = { .ethertype = ETH_P_ARP, .vlan_proto = ETH_P_8021Q,
		   .vlan_tci = 100, .family = AF_INET, .saddr = CLIENT4,
		   .daddr = VIP4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_IP },
	/* one tag is parsed: QinQ is not ours */
	{ .name = "pass_double_tagged",
	  .pkt = { .vlan_proto = ETH_P_8021AD, .vlan_tci = 10, .vlan2_tci = 100,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_IP },
	{ .name = "pass_vip_other_port",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 81,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	/* udp/80: the VIP has tcp/80 only */
	{ .name = "pass_vip_other_proto",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 40000, .dport = 80,
		   .payload = 16 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_vip_other_port_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	/* echo to a VIP address the controller did not mark for ICMP */
	{ .name = "pass_icmp_echo_not_answered",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_NO_TABLE,
		   .proto = IPPROTO_ICMP, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	{ .name = "pass_icmpv6_echo_not_answered",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6_NO_TABLE,
		   .proto = IPPROTO_ICMPV6, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_VIP },
	/* other ICMP to a VIP (an echo reply): not ours */
	{ .name = "pass_not_l4_icmp_reply",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_ICMP, .echo_reply = true, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_L4 },
	{ .name = "pass_not_l4_icmpv6_reply",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_ICMPV6, .echo_reply = true, .payload = 32 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_NOT_L4 },
	/* To a service: forwarded to the back end the table picks. */
	{ .name = "tx_v4_syn",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	/* first packet seen is not a SYN */
	{ .name = "tx_v4_ack_midflow",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40001, .dport = 80,
		   .tcp_flags = TF_ACK | TF_PSH, .payload = 100 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_PICKUP },
	{ .name = "tx_v4_fin_first",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40002, .dport = 80,
		   .tcp_flags = TF_FIN | TF_ACK },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_FIN },
	{ .name = "tx_v4_rst_first",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40003, .dport = 80,
		   .tcp_flags = TF_RST },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_RST },
	/* DF is not a fragment */
	{ .name = "tx_v4_df",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40004, .dport = 80,
		   .tcp_flags = TF_SYN, .frag = FRAG_DF },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_udp",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 40 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_UDP4,
	  .state = XLB_FLOW_NEW },
	{ .name = "tx_v4_vlan",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 0x2064,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40005, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_8021ad",
	  .pkt = { .vlan_proto = ETH_P_8021AD, .vlan_tci = 7, .family = AF_INET,
		   .saddr = CLIENT4, .daddr = VIP4, .proto = IPPROTO_TCP,
		   .sport = 40006, .dport = 80, .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_ip_options_ihl6",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40007, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 6 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_ip_options_ihl15",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40008, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 15, .payload = 10 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_vlan_ip_options",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 100,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40009, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 9 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v4_tcp_options_doff15",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40010, .dport = 80,
		   .tcp_flags = TF_SYN, .doff = 15 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	/* 54-byte SYN padded to 60 */
	{ .name = "tx_v4_eth_padding",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40011, .dport = 80,
		   .tcp_flags = TF_SYN, .trailer = 6 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP4,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v6_syn",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP6,
	  .state = XLB_FLOW_SYN },
	{ .name = "tx_v6_ack_midflow",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40001, .dport = 443,
		   .tcp_flags = TF_ACK, .payload = 200 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP6,
	  .state = XLB_FLOW_PICKUP },
	{ .name = "tx_v6_udp",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 33 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_UDP6,
	  .state = XLB_FLOW_NEW },
	{ .name = "tx_v6_vlan",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 0xe00a,
		   .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40002, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_TCP6,
	  .state = XLB_FLOW_SYN },
	/* A service without a usable back end: dropped, unchanged. */
	{ .name = "drop_no_table",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_NO_TABLE,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_NO_TABLE4 },
	{ .name = "drop_no_table_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6_NO_TABLE,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_NO_TABLE6 },
	{ .name = "drop_table_no_backend",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_EMPTY,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_EMPTY4 },
	/* the table points at a free slot */
	{ .name = "drop_table_unused_backend",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4_UNUSED_BE,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN },
	  .verdict = XDP_DROP, .reason = XLB_DROP_NO_BACKEND,
	  .svc = SVC_UNUSED_BE4 },
	/* Malformed, fragments, extension headers: never XDP_TX; passed
	 * unchanged for the stack to judge. test_run refuses frames shorter
	 * than an Ethernet header, so truncation starts at the tag. */
	{ .name = "malformed_vlan_truncated",
	  .pkt = { .vlan_proto = ETH_P_8021Q, .vlan_tci = 100,
		   .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 16 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_empty",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 14 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_truncated",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 14 + 19 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_ihl4",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_ihl0",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl_field = IHL_FIELD(0) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	/* 60-byte header, 40-byte packet */
	{ .name = "malformed_ipv4_ihl_past_end",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl_field = IHL_FIELD(15) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_options_truncated",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 15, .cut = 14 + 59 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_truncated_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .cut = 14 + 20 + 19 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_doff4_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .doff = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_udp_truncated_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 8, .cut = 14 + 20 + 7 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv6_truncated",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .cut = 14 + 39 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_truncated_vip_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .cut = 14 + 40 + 12 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_doff4_vip_v6",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .doff = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_version6_in_ipv4",
	  .pkt = { .ethertype = ETH_P_IP, .family = AF_INET, .saddr = CLIENT4,
		   .daddr = VIP4, .proto = IPPROTO_TCP, .sport = 40000,
		   .dport = 80, .tcp_flags = TF_SYN, .version = 6 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_version4_in_ipv6",
	  .pkt = { .ethertype = ETH_P_IPV6, .family = AF_INET6,
		   .saddr = CLIENT6, .daddr = VIP6, .proto = IPPROTO_TCP,
		   .sport = 40000, .dport = 443, .tcp_flags = TF_SYN,
		   .version = 4 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	/* The IP length fields against the frame (issue 12): a claim past
	 * the frame, below the header, or an L4 header past the IP length
	 * (the frame may go on: Ethernet padding) is malformed. */
	{ .name = "malformed_ipv4_totlen_past_frame",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ip_len = IP_LEN(41) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_totlen_65535",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ip_len = IP_LEN(65535) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv4_totlen_below_header",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .ihl = 6, .ip_len = IP_LEN(20) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_past_ip_len",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .payload = 20, .ip_len = IP_LEN(39) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_tcp_options_past_ip_len",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .doff = 15, .ip_len = IP_LEN(60) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_udp_past_ip_len",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 8, .ip_len = IP_LEN(27) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv6_paylen_past_frame",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .ip_len = IP_LEN(21) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv6_paylen_short_of_tcp",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .payload = 30, .ip_len = IP_LEN(10) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	{ .name = "malformed_ipv6_paylen_zero",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 8, .ip_len = IP_LEN(0) },
	  .verdict = XDP_PASS, .reason = XLB_PASS_MALFORMED },
	/* shorter than the frame: Ethernet padding, forwarded */
	{ .name = "tx_v6_eth_padding",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_UDP, .sport = 5354, .dport = 53,
		   .payload = 2, .trailer = 8 },
	  .verdict = XDP_TX, .reason = XLB_TX_FORWARDED, .svc = SVC_UDP6,
	  .state = XLB_FLOW_NEW },
	/* MF, offset 0: ports present */
	{ .name = "fragment_v4_first_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .frag = FRAG_MF, .payload = 64 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	/* last fragment, offset 185*8 */
	{ .name = "fragment_v4_offset_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 80,
		   .tcp_flags = TF_SYN, .frag = 185, .payload = 64 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	{ .name = "fragment_v4_middle_vip",
	  .pkt = { .family = AF_INET, .saddr = CLIENT4, .daddr = VIP4,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .frag = FRAG_MF | 1, .payload = 64 },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	{ .name = "fragment_v6_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .v6_ext = V6_EXT_FRAGMENT },
	  .verdict = XDP_PASS, .reason = XLB_PASS_FRAGMENT },
	{ .name = "ipv6_ext_hopopts_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .v6_ext = V6_EXT_HOPOPTS },
	  .verdict = XDP_PASS, .reason = XLB_PASS_IPV6_EXT },
	{ .name = "ipv6_ext_routing_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_TCP, .sport = 40000, .dport = 443,
		   .tcp_flags = TF_SYN, .v6_ext = V6_EXT_ROUTING },
	  .verdict = XDP_PASS, .reason = XLB_PASS_IPV6_EXT },
	{ .name = "ipv6_ext_dstopts_vip",
	  .pkt = { .family = AF_INET6, .saddr = CLIENT6, .daddr = VIP6,
		   .proto = IPPROTO_UDP, .sport = 5353, .dport = 53,
		   .payload = 8, .v6_ext = V6_EXT_DSTOPTS },
	  .verdict = XDP_PASS, .reason = XLB_PASS_IPV6_EXT },
};
/* clang-format on */
const size_t nr_cases = sizeof(cases) / sizeof(cases[0]);

const struct pkt_case *case_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < nr_cases; i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	fail_msg("no fixture row named %s", name);
	return NULL;
}

/*
 * One fixture row: verdict, every output byte, the flow entry (TX: pinned
 * to what the table says for the flow's slot; otherwise none), and every
 * counter.
 */
void run_case(struct env *e, const struct pkt_case *c)
{
	struct pkt in, out, want;
	__u64 t0, t1;
	int verdict;

	build(&c->pkt, &in);
	t0 = coarse_ns();
	verdict = prog_run(e, &in, &out);
	t1 = coarse_ns();
	expect_verdict(verdict, c->verdict, "verdict");

	if (c->verdict == XDP_TX) {
		__u32 slot = xlb_slot(flow_hash(&c->pkt), e->sz.table_size);
		__u32 table_be = table_slot(e, c->svc, slot);
		struct flow_value fv = flow_must(e, &c->pkt, "new flow pinned");
		struct backend_info bi = backend_get(e, fv.backend_id);

		expect_u64(fv.backend_id, table_be,
			   "new flow follows the table (slot %u): backend",
			   slot);
		expect_u64(bi.svc_id, c->svc, "back end %u's service",
			   fv.backend_id);
		expect_state(fv.state, c->state, "flow state");
		/* flows4/flows6 keep last-seen in units: the start of its
		 * unit */
		__u64 early = 1ull << XLB_FT_SEEN_SHIFT;

		if (fv.last_seen + early < t0 || fv.last_seen > t1)
			fail_msg("flow last_seen %llu outside the run [%llu, "
				 "%llu]",
				 (unsigned long long)fv.last_seen,
				 (unsigned long long)t0,
				 (unsigned long long)t1);
		forwarded(e, &in, fv.backend_id, &want);
		expect_packet(&out, &want, "forwarded packet");
		expect_svc(e, c->svc, 1, in.len, 1);
		expect_lb(e, e->skel->maps.stats_backend, fv.backend_id, 1,
			  in.len, 1);
	} else {
		want = in;
		expect_packet(&out, &want, "packet unchanged");
		if (c->verdict == XDP_DROP)
			expect_svc(e, c->svc, 1, in.len,
				  0);
	}
	expect_u64(flows_count(e),
		   c->verdict == XDP_TX ? 1 : 0, "flow entries");
	expect_reasons(e, c->reason, 1, in.len);
}
