// Writes a seeded synthetic cohort (bench/generator/cohort.h) as JSON Lines
// of peermatch.v1.Member, the input of `peermatch plan --members`.
//
//   cli_plan_gen_members SEED MENTEES MENTORS GROUP_MEMBERS > cohort.jsonl
//
// The same arguments give the same bytes on every run.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/generator/cohort.h"
#include "google/protobuf/util/json_util.h"
#include "service/api/member_codec.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(
        stderr, "usage: %s SEED MENTEES MENTORS GROUP_MEMBERS > cohort.jsonl\n",
        argv[0]);
    return 2;
  }
  peermatch::bench::CohortOptions options;
  options.seed = std::strtoull(argv[1], nullptr, 10);
  options.mentees = std::atoi(argv[2]);
  options.mentors = std::atoi(argv[3]);
  options.group_members = std::atoi(argv[4]);
  if (options.mentees < 0 || options.mentors < 0 || options.group_members < 0) {
    std::fprintf(stderr, "counts must be >= 0\n");
    return 2;
  }
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  for (const auto& profile : peermatch::bench::GenerateCohort(options)) {
    std::string line;
    if (!google::protobuf::util::MessageToJsonString(
             peermatch::api::FromProfile(profile), &line, print)
             .ok()) {
      return 1;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
