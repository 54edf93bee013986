set terminal pngcairo size 900,480 font 'sans,10' noenhanced
set output '/tmp/benchout/results/pg.png'

set title 'Ledger vs PostgreSQL 15 (same claims, same concurrency and batch size)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [10:*]
set ylabel 'events (rows) per second, log scale'
set grid ytics
set key top left
plot '/tmp/benchout/results/pg.dat' using 3:xtic(2) title 'ledger (verified, chained, durable)' lc rgb '#4477aa', \
     '' using 4 title 'PostgreSQL: verify + hash chain under a lock' lc rgb '#ee7733', \
     '' using 5 title 'PostgreSQL: plain inserts (reference)' lc rgb '#bbbbbb'
