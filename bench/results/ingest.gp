set terminal pngcairo size 900,480 font 'sans,10' noenhanced
set output '/tmp/benchout/results/ingest.png'

set title 'Ingest through gRPC: events/s as a ratio to the 2-core verify ceiling'
set style fill solid 0.7 border -1
set boxwidth 0.6
set key top left
set yrange [0:1.00]
set ylabel 'ratio to ceiling'
set grid ytics
set xtics rotate by -30
f(x) = 0.8
g(x) = 0.4
plot '/tmp/benchout/results/ingest.dat' using 1:3:xtic(2) with boxes lc rgb '#4477aa' title 'ledger', \
     '' using 1:3:(sprintf('%.0f/s', $4)) with labels offset 0,1 notitle, \
     0.8 with lines dt 2 lc rgb '#cc3311' title 'goal stream/batch 0.8x', \
     0.4 with lines dt 3 lc rgb '#ee7733' title 'goal unary@32 0.4x'
