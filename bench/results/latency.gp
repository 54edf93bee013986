set terminal pngcairo size 900,480 font 'sans,10' noenhanced
set output '/tmp/benchout/results/latency.png'

set title 'Unary Append latency (durable: verified, fsynced, checkpoint signed)'
set xlabel 'concurrent clients'
set ylabel 'ms'
set logscale x 2
set logscale y
set grid
set key top left
plot '/tmp/benchout/results/latency.dat' using 1:2 with linespoints pt 7 title 'p50', \
     '' using 1:3 with linespoints pt 7 title 'p99', \
     '' using 1:4 with linespoints pt 7 title 'p99.9', \
     10 with lines dt 2 lc rgb '#cc3311' title 'goal p99 10 ms @32'
