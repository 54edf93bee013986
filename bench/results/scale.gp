set terminal pngcairo size 900,480 font 'sans,10' noenhanced
set output '/tmp/benchout/results/scale.png'

set title 'Restart time and memory as the log grows'
set logscale x 10
set xlabel 'entries in the log'
set ylabel 'ms'
set y2label 'MiB / bytes per entry'
set y2tics
set ytics nomirror
set yrange [0:*]
set y2range [0:*]
set grid
set key top left
plot '/tmp/benchout/results/scale.dat' using 1:2 with linespoints pt 7 title 'datadir::OpenLog (median) ms', \
     '' using 1:3 with linespoints pt 7 title 'ledgerd ready (spawn to first answer) ms', \
     '' using 1:4 axes x1y2 with linespoints pt 5 title 'ledgerd RSS after proofs, MiB', \
     '' using 1:5 axes x1y2 with linespoints pt 9 title 'disk bytes per entry'
