#!/usr/bin/env bash
# exploration: CPU per call of greeter-server variants under h2load (not part of the project)
set -u
M=$1; shift; REP=${REP:-5}; N=${N:-40000}
BIN=/tmp/xt/build/bin/greeter-server
declare -a V=("$@")
i=0; declare -A P A
for v in "${V[@]}"; do
  a=127.0.4.$((120+i)); A[$i]=$a
  env NAME=ours LISTEN_ADDRESS=$a:50051 RESPONSE_DELAY=0 LOG_LEVEL=warn $v taskset -c 0 $BIN >/tmp/cpuab.$i.log 2>&1 &
  P[$i]=$!; i=$((i+1))
done
sleep 1
cpu() { cat /proc/$1/task/*/schedstat | awk '{t+=$1} END {printf "%.0f", t}'; }
H="-c 1 -t 1 -m $M -d /tmp/req.bin -H content-type:application/grpc -H te:trailers"
for j in $(seq 0 $((i-1))); do taskset -c 1 h2load -n 4000 $H http://${A[$j]}:50051/helloworld.Greeter/SayHello >/dev/null; done
for r in $(seq $REP); do
  for k in $(seq 0 $((i-1))); do
    j=$(( (k + r) % i ))
    c0=$(cpu ${P[$j]}); out=$(taskset -c 1 h2load -n $N $H http://${A[$j]}:50051/helloworld.Greeter/SayHello | grep -E "^requests:"); c1=$(cpu ${P[$j]})
    ok=$(echo "$out" | awk '{print $8}')
    echo "rep=$r var=$j m=$M us_per_call=$(awk -v a=$c0 -v b=$c1 -v n=$N 'BEGIN{printf "%.2f",(b-a)/n/1000}') succ=$ok"
  done
done
for j in $(seq 0 $((i-1))); do kill ${P[$j]}; done; wait 2>/dev/null
