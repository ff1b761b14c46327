# SPDX-License-Identifier: GPL-3.0-or-later
# make eval's figures from the data files in dir (gnuplot -e "dir='...'").
# The paper's numbers (Giuffrida et al., LISA 2013) are drawn as published:
# update times 112-1263 ms (Figure 5), memory ratios of Table 3.
set terminal pngcairo size 900,560 font "sans,11"
set grid
set key bottom right box opaque

set output dir."/fig-update-xform.png"
set title "Update time vs. type transformations (every heap object's type changed)"
set xlabel "type transformations (forward transfer)"
set ylabel "update time (ms)"
set logscale xy
set autoscale xfix
set offsets graph 0.05, graph 0.05, 0, 0
set format x "10^{%L}"
set yrange [1:*]
set object 1 rect from graph 0, first 112 to graph 1, first 1263 fc rgb "#ffe0b0" fs solid 0.5 noborder behind
set label 1 "paper (LISA 2013): full updates 112-1263 ms" at graph 0.02, first 900 tc rgb "#a05000"
plot dir."/data/time-xform.dat" using 3:5 with linespoints lw 2 pt 7 title "ttst full TTST (F, R, diff)", \
     "" using 3:4 with linespoints lw 2 pt 5 title "ttst forward only", \
     "" using 3:7 with linespoints lw 1 pt 1 dt 2 title "  of which forward transfer", \
     "" using 3:8 with linespoints lw 1 pt 2 dt 2 title "  of which backward transfer"
unset object 1
unset label 1

set output dir."/fig-update-size.png"
set title "Update time vs. state size (same types: the copy fast path)"
set xlabel "heap objects"
set object 1 rect from graph 0, first 112 to graph 1, first 1263 fc rgb "#ffe0b0" fs solid 0.5 noborder behind
set label 1 "paper (LISA 2013): full updates 112-1263 ms" at graph 0.02, first 900 tc rgb "#a05000"
plot dir."/data/time-size.dat" using 1:5 with linespoints lw 2 pt 7 title "ttst full TTST (F, R, diff)", \
     "" using 1:4 with linespoints lw 2 pt 5 title "ttst forward only", \
     "" using 1:6 with linespoints lw 1 pt 1 dt 2 title "  of which forward transfer", \
     "" using 1:7 with linespoints lw 1 pt 2 dt 2 title "  of which backward transfer"
unset object 1
unset label 1
unset logscale
unset offsets
set autoscale x
unset format x
set format x "%g"

set output dir."/fig-memory.png"
set title "Memory, instrumented / plain (kvd)"
set xlabel ""
set ylabel "ratio instrumented / plain"
set logscale y
set yrange [0.8:20]
set xrange [-0.6:2.6]
set xtics ("static (image)" 0, "run-time (RSS)" 1, "during update (tree peak RSS)" 2)
set style fill solid 0.6 border -1
set boxwidth 0.35
# rows of memory.dat: 1 static image, 4 RSS with keys, 5 update peak
plot dir."/data/memory.dat" every ::0::0 using (0-0.2):4 with boxes lc rgb "#3060c0" title "ttst", \
     "" every ::3::3 using (1-0.2):4 with boxes lc rgb "#3060c0" notitle, \
     "" every ::4::4 using (2-0.2):4 with boxes lc rgb "#3060c0" notitle, \
     "" every ::0::0 using (0-0.2):4:(sprintf("%.2fx", $4)) with labels offset 0,1 notitle, \
     "" every ::3::3 using (1-0.2):4:(sprintf("%.2fx", $4)) with labels offset 0,1 notitle, \
     "" every ::4::4 using (2-0.2):4:(sprintf("%.2fx", $4)) with labels offset 0,1 notitle, \
     "-" using ($1+0.2):(($2+$3)/2):2:3 with yerrorbars lw 2 pt 0 lc rgb "#c06000" title "paper Table 3 (min-max)"
0 2.19 3.35
1 2.66 4.36
2 3.17 8.03
e
unset logscale
unset xtics
set xtics
unset xrange
unset yrange

set output dir."/fig-faults.png"
set title "Fault-injection campaign: outcomes (state verified after each)"
set termoption noenhanced
unset key
set ylabel "injected faults"
set style fill solid 0.7 border -1
set boxwidth 0.6
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set xtics rotate by -25
plot dir."/data/faults.dat" using 0:2:xtic(1) every ::0::5 with boxes lc rgb "#3060c0" notitle, \
     "" using 0:2:(sprintf("%d", $2)) every ::0::5 with labels offset 0,1 notitle
