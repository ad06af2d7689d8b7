# SPDX-License-Identifier: GPL-2.0-only
# Per-packet cost from bench_pkt -o: median ns/packet with min-max bars,
# repeat, cycle and restore rows (the single-call rows carry the syscall);
# the IPv6 rows in another colour.
# gnuplot -e "datafile='pkt.dat'; outfile='out.png'" plot.gp
set terminal pngcairo size 1300,680 font ",10"
set output outfile
set title "xdp-lb per-packet cost (BPF\\_PROG\\_TEST\\_RUN, median and min-max over rounds)"
set ylabel "ns per packet"
set style fill solid 0.6 border -1
set boxwidth 0.7
set grid ytics
set xtics rotate by -45 left font ",8" noenhanced
set key off
set bmargin 12
set rmargin 22
set yrange [0:*]
src = "< grep -v ' single ' ".datafile
# x: the row's place among the plotted rows (column 0), so no gaps;
# IPv6 rows ("v6 ...") in orange
rowcolor(name) = strstrt(name, "v6 ") == 1 ? 0xd9822b : 0x4a7ebb
plot src using 0:4:(rowcolor(strcol(3))):xtic(sprintf("%s: %s", strcol(2), strcol(3))) with boxes lc rgb variable, \
     '' using 0:4:5:6 with yerrorbars lc rgb "black" pt -1, \
     '' using 0:4:(sprintf("%.0f", $4)) with labels offset 0,0.8 font ",7"
