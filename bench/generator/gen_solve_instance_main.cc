// Writes a `peermatch solve` instance on stdout.
// Usage: peermatch_gen_solve_instance [SEED [MENTEES [MENTORS [LIST
// [CAPACITY]]]]] Defaults: 1 10000 500 10 20.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/generator/solve_instance.h"

int main(int argc, char** argv) {
  peermatch::bench::SolveInstanceOptions o;
  if (argc > 1) o.seed = std::strtoull(argv[1], nullptr, 10);
  if (argc > 2) o.mentees = std::atoi(argv[2]);
  if (argc > 3) o.mentors = std::atoi(argv[3]);
  if (argc > 4) o.list_length = std::atoi(argv[4]);
  if (argc > 5) o.capacity = std::atoi(argv[5]);
  if (o.mentees < 0 || o.mentors < 1 || o.list_length < 0 || o.capacity < 0 ||
      o.mentees > 1000000 || o.mentors > 1000000) {
    std::fprintf(stderr,
                 "usage: %s [SEED [MENTEES [MENTORS [LIST [CAPACITY]]]]]\n",
                 argv[0]);
    return 2;
  }
  const std::string json = peermatch::bench::GenerateSolveInstanceJson(o);
  std::fwrite(json.data(), 1, json.size(), stdout);
  return 0;
}
