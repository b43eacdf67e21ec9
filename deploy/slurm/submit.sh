#!/bin/bash
# Grade a class on a Slurm cluster: a job array of N shards, then the merge, which waits for them.
#
#   deploy/slurm/submit.sh [options] LAB SUBMISSIONS OUT [-- grade options]
#
#   --shards N        array tasks, one shard of the class each (default 4)
#   --cpus C          CPUs per task; the shard grades C notebooks at once (default 4)
#   --mem MB          memory per task (default: C x (kernel memory + 1536) MB, the kernel memory
#                     being grade's --memory, 4096 unless given after --)
#   --time T          time limit per task, as sbatch takes it (default 02:00:00)
#   --partition P, --account A, --qos Q   passed to sbatch
#   --python PY       the course's Python on the nodes (default: COURSE/.venv/bin/python)
#   --course DIR      the course checkout, on a filesystem the nodes share (default: this one)
#   --sbatch-option O any other sbatch option for the grading array (repeatable), e.g.
#                     --sbatch-option=--gres=gpu:1
#
# SUBMISSIONS and OUT must be on a filesystem every node sees. Prints the two job ids; the merged
# class is in OUT (grades.csv, gradebook.db, feedback/), each shard in OUT/shard-K, Slurm's logs in
# OUT/slurm/. When a shard fails, Slurm cancels the merge (--kill-on-invalid-dep): re-run that
# shard (sbatch --array=K --export=ALL,SHARDS=N ... grade.sbatch LAB SUBMISSIONS OUT; it grades only
# what is missing), then the merge (sbatch deploy/slurm/merge.sbatch LAB SUBMISSIONS OUT N).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

shards=4 cpus=4 mem="" time=02:00:00 python="" course=$(cd "$here/../.." && pwd)
site_options=() sbatch_options=()   # site: both jobs; sbatch: the grading array
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
positional=()
while (( $# )); do
    case $1 in
        --shards) shards=$2; shift 2 ;;
        --cpus) cpus=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --time) time=$2; shift 2 ;;
        --partition|--account|--qos) site_options+=("$1=$2"); shift 2 ;;
        --python) python=$2; shift 2 ;;
        --course) course=$(cd "$2" && pwd); shift 2 ;;
        --sbatch-option) sbatch_options+=("$2"); shift 2 ;;
        --sbatch-option=*) sbatch_options+=("${1#*=}"); shift ;;
        -h|--help) usage ;;
        --) shift; break ;;
        -*) echo "submit.sh: unknown option $1" >&2; usage ;;
        *) positional+=("$1"); shift ;;
    esac
done
grade_options=("$@")
(( ${#positional[@]} == 3 )) || usage
lab=${positional[0]}
submissions=$(realpath -m "${positional[1]}")
out=$(realpath -m "${positional[2]}")
python=${python:-$course/.venv/bin/python}
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: --shards must be a positive number" >&2; exit 2; }
[[ -e $submissions ]] || { echo "submit.sh: SUBMISSIONS $submissions does not exist" >&2; exit 2; }
if [[ -z $mem ]]; then   # each worker: its kernel's limit, plus the checker and the worker themselves
    kernel=4096
    for (( i = 0; i < ${#grade_options[@]}; i++ )); do
        case ${grade_options[i]} in
            --memory) kernel=${grade_options[i+1]} ;;
            --memory=*) kernel=${grade_options[i]#*=} ;;
        esac
    done
    mem=$(( cpus * (kernel + 1536) ))
fi
mkdir -p "$out/slurm"
# Named explicitly: a site's SBATCH_EXPORT=NONE would otherwise hide them from the jobs.
jobs_env=(--chdir="$course" --export="ALL,COURSE=$course,PYTHON=$python")
array=$(sbatch --parsable "${jobs_env[@]}" --array="0-$((shards - 1))" --cpus-per-task="$cpus" --mem="$mem" --time="$time" \
        --output="$out/slurm/grade-%A_%a.out" "${site_options[@]}" "${sbatch_options[@]}" \
        "$here/grade.sbatch" "$lab" "$submissions" "$out" "${grade_options[@]}")
array=${array%%;*}   # --parsable prints "jobid[;cluster]"
merge=$(sbatch --parsable "${jobs_env[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes --mem=4096 \
        --time="$time" --output="$out/slurm/merge-%j.out" "${site_options[@]}" \
        "$here/merge.sbatch" "$lab" "$submissions" "$out" "$shards")
merge=${merge%%;*}
echo "grading array: job $array ($shards shards); merge: job $merge (after every shard succeeds)"
echo "follow with: squeue -j $array,$merge; the merged class will be in $out"
