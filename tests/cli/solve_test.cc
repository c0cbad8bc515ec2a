// Black-box tests of `peermatch solve` (R-OFFLINE): they run the real binary
// with files and stdin and look only at its exit status, stdout and stderr.
// Expected matchings are computed by hand or, for random instances, by a
// brute-force enumeration of every stable matching written here.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

extern char** environ;

namespace peermatch::cli {
namespace {

using ::testing::HasSubstr;

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return absl::StrCat(dir ? dir : "/tmp", "/peermatch_solve_test_", getpid(),
                      "_", name);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

// Runs `peermatch solve ARGS` with `input` on stdin.
Outcome Solve(const std::vector<std::string>& args, const std::string& input) {
  const std::string in = TempPath("stdin"), out = TempPath("stdout"),
                    err = TempPath("stderr");
  WriteFile(in, input);
  std::vector<std::string> argv_s = {PEERMATCH_CLI, "solve"};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid;
  Outcome r;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) ==
      0) {
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
  posix_spawn_file_actions_destroy(&actions);
  r.out = ReadFile(out);
  r.err = ReadFile(err);
  std::remove(in.c_str());
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

// The output the SPEC describes, for ids that need no JSON escaping.
std::string Output(const std::vector<std::pair<std::string, std::string>>& m,
                   const std::vector<std::string>& unmatched) {
  std::vector<std::string> matches;
  for (const auto& [e, mentor] : m) {
    matches.push_back(
        absl::StrCat("{\"mentee\":\"", e, "\",\"mentor\":\"", mentor, "\"}"));
  }
  std::vector<std::string> quoted;
  for (const auto& u : unmatched) quoted.push_back(absl::StrCat("\"", u, "\""));
  return absl::StrCat("{\"matches\":[", absl::StrJoin(matches, ","),
                      "],\"unmatched_mentees\":[", absl::StrJoin(quoted, ","),
                      "],\"blocking_pairs\":0}\n");
}

// A rank-list instance and its JSON.
struct Instance {
  std::string optimal;  // "" = absent
  std::vector<std::pair<std::string, std::vector<std::string>>> mentees;
  struct Mentor {
    std::string id;
    int capacity;
    std::vector<std::string> ranking;
  };
  std::vector<Mentor> mentors;

  std::string Json() const {
    auto list = [](const std::vector<std::string>& ids) {
      std::vector<std::string> q;
      for (const auto& id : ids) q.push_back(absl::StrCat("\"", id, "\""));
      return absl::StrCat("[", absl::StrJoin(q, ", "), "]");
    };
    std::vector<std::string> es, ms;
    for (const auto& [id, ranking] : mentees) {
      es.push_back(absl::StrCat("{\"id\": \"", id,
                                "\", \"ranking\": ", list(ranking), "}"));
    }
    for (const Mentor& m : mentors) {
      ms.push_back(absl::StrCat("{\"ranking\": ", list(m.ranking),
                                ", \"capacity\": ", m.capacity, ", \"id\": \"",
                                m.id, "\"}"));
    }
    return absl::StrCat(
        "{",
        optimal.empty() ? "" : absl::StrCat("\"optimal\": \"", optimal, "\", "),
        "\"mentees\": [", absl::StrJoin(es, ",\n "), "],\n \"mentors\": [",
        absl::StrJoin(ms, ",\n "), "]}");
  }
};

TEST(SolveCliTest, SmallInstanceFromFileAndStdin) {
  // e1 ranks m2 then m1; m1 (capacity 2) ranks e1; m2 does not rank e1, so
  // the only acceptable pair is e1-m1.
  const std::string json =
      R"({"optimal": "mentee",
          "mentees": [{"id": "e1", "ranking": ["m2", "m1"]}],
          "mentors": [{"id": "m1", "capacity": 2, "ranking": ["e1"]},
                      {"id": "m2", "capacity": 1, "ranking": []}]})";
  const std::string expected = Output({{"e1", "m1"}}, {});
  Outcome from_stdin = Solve({}, json);
  EXPECT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, expected);
  EXPECT_EQ(from_stdin.err, "");
  Outcome dash = Solve({"-"}, json);
  EXPECT_EQ(dash.out, expected);
  const std::string file = TempPath("instance.json");
  WriteFile(file, json);
  Outcome from_file = Solve({file}, "");
  EXPECT_EQ(from_file.exit_code, 0);
  EXPECT_EQ(from_file.out, expected);
  std::remove(file.c_str());
}

TEST(SolveCliTest, TextbookInstanceBothOptima) {
  // A: X Y Z   B: Y X Z   C: X Y Z;   X: B A C   Y: A B C   Z: A B C.
  // Mentee-optimal A-X, B-Y, C-Z; mentor-optimal A-Y, B-X, C-Z (each
  // derived by hand in tests/matcher/stable_matching_test.cc).
  Instance in;
  in.mentees = {
      {"A", {"X", "Y", "Z"}}, {"B", {"Y", "X", "Z"}}, {"C", {"X", "Y", "Z"}}};
  in.mentors = {{"X", 1, {"B", "A", "C"}},
                {"Y", 1, {"A", "B", "C"}},
                {"Z", 1, {"A", "B", "C"}}};
  Outcome mentee = Solve({}, in.Json());
  EXPECT_EQ(mentee.out, Output({{"A", "X"}, {"B", "Y"}, {"C", "Z"}}, {}));
  in.optimal = "mentor";
  Outcome mentor = Solve({}, in.Json());
  EXPECT_EQ(mentor.out, Output({{"A", "Y"}, {"B", "X"}, {"C", "Z"}}, {}));
}

TEST(SolveCliTest, CapacitiesAndUnmatchedSortedById) {
  // m (capacity 2) ranks c, a, b; everyone wants m; z has capacity 0.
  // Mentee-optimal: m takes c and a; b is unmatched; "d" ranks nobody.
  Instance in;
  in.mentees = {{"d", {}}, {"b", {"m", "z"}}, {"c", {"m"}}, {"a", {"m"}}};
  in.mentors = {{"z", 0, {"b"}}, {"m", 2, {"c", "a", "b"}}};
  Outcome r = Solve({}, in.Json());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, Output({{"a", "m"}, {"c", "m"}}, {"b", "d"}));
}

// Every stable matching of a tiny instance by enumeration, with a stability
// check written from the definition.
std::vector<std::map<std::string, std::string>> AllStable(const Instance& in) {
  std::map<std::string, const Instance::Mentor*> mentor_by_id;
  for (const auto& m : in.mentors) mentor_by_id[m.id] = &m;
  auto rank = [](const std::vector<std::string>& list, const std::string& x) {
    return static_cast<int>(std::find(list.begin(), list.end(), x) -
                            list.begin());
  };
  auto lists = [&](const std::vector<std::string>& list, const std::string& x) {
    return std::find(list.begin(), list.end(), x) != list.end();
  };
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> partner;
  std::map<std::string, int> load;
  auto stable = [&]() {
    for (const auto& [e, ranking] : in.mentees) {
      for (const std::string& m : ranking) {
        const Instance::Mentor& mm = *mentor_by_id.at(m);
        if (!lists(mm.ranking, e)) continue;
        auto it = partner.find(e);
        if (it != partner.end() &&
            (it->second == m || rank(ranking, it->second) < rank(ranking, m))) {
          continue;
        }
        if (load[m] < mm.capacity) return false;
        for (const auto& [e2, m2] : partner) {
          if (m2 == m && rank(mm.ranking, e) < rank(mm.ranking, e2)) {
            return false;
          }
        }
      }
    }
    return true;
  };
  auto recurse = [&](auto&& self, size_t i) -> void {
    if (i == in.mentees.size()) {
      if (stable()) out.push_back(partner);
      return;
    }
    const auto& [e, ranking] = in.mentees[i];
    self(self, i + 1);
    for (const std::string& m : ranking) {
      const Instance::Mentor& mm = *mentor_by_id.at(m);
      if (!lists(mm.ranking, e) || load[m] >= mm.capacity) continue;
      partner[e] = m;
      ++load[m];
      self(self, i + 1);
      --load[m];
      partner.erase(e);
    }
  };
  recurse(recurse, 0);
  return out;
}

TEST(SolveCliTest, RandomInstancesMatchBruteForceOptima) {
  int with_choice = 0;
  for (uint64_t seed = 1; seed <= 80; ++seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % n); };
    Instance in;
    const bool cyclic = seed % 2 == 0;
    const int k = 2 + pick(2), n = cyclic ? k + 1 - pick(2) : 3 + pick(4);
    std::vector<std::string> es, ms;
    for (int i = 0; i < n; ++i) es.push_back(absl::StrCat("e.", 9 - i));
    for (int j = 0; j < k; ++j) ms.push_back(absl::StrCat("M", j, "@x"));
    // Mostly complete lists and small capacities. Every other seed starts
    // from cyclic preferences (mentee i: M_i, M_i+1, ...; mentor j: e_j+1,
    // e_j+2, ...), which have several stable matchings, then perturbs them.
    for (int i = 0; i < n; ++i) {
      std::vector<std::string> r;
      for (int t = 0; t < k; ++t) r.push_back(ms[(i + t) % k]);
      if (!cyclic) std::shuffle(r.begin(), r.end(), rng);
      if (pick(3) == 0) std::swap(r[pick(k)], r[pick(k)]);
      if (pick(5) == 0) r.pop_back();
      in.mentees.push_back({es[i], r});
    }
    for (int j = 0; j < k; ++j) {
      std::vector<std::string> r;
      for (int t = 0; t < n; ++t) r.push_back(es[(j + 1 + t) % n]);
      if (!cyclic) std::shuffle(r.begin(), r.end(), rng);
      if (pick(3) == 0) std::swap(r[pick(n)], r[pick(n)]);
      if (pick(5) == 0) r.pop_back();
      in.mentors.push_back(
          {ms[j], cyclic ? 1 : (pick(4) == 0 ? 0 : 1 + pick(2)), r});
    }
    const auto all = AllStable(in);
    ASSERT_FALSE(all.empty());
    with_choice += all.size() > 1;
    for (const std::string side : {"mentee", "mentor"}) {
      // Mentee-optimal: every mentee's partner is its best over all stable
      // matchings; mentor-optimal is the mentee-worst one (lattice).
      std::map<std::string, std::string> expected;
      for (const auto& [e, ranking] : in.mentees) {
        int best = side == "mentee" ? 1 << 20 : -1;
        for (const auto& s : all) {
          auto it = s.find(e);
          const int r =
              it == s.end()
                  ? 1 << 19
                  : static_cast<int>(
                        std::find(ranking.begin(), ranking.end(), it->second) -
                        ranking.begin());
          if (side == "mentee" ? r < best : r > best) {
            best = r;
            if (it == s.end()) {
              expected.erase(e);
            } else {
              expected[e] = it->second;
            }
          }
        }
      }
      std::vector<std::pair<std::string, std::string>> pairs(expected.begin(),
                                                             expected.end());
      std::vector<std::string> unmatched;
      for (const std::string& e : es) {
        if (!expected.count(e)) unmatched.push_back(e);
      }
      std::sort(unmatched.begin(), unmatched.end());
      in.optimal = side;
      Outcome r = Solve({}, in.Json());
      ASSERT_EQ(r.exit_code, 0) << r.err << " seed " << seed;
      ASSERT_EQ(r.out, Output(pairs, unmatched))
          << "seed " << seed << " " << side << "\n"
          << in.Json();
      // Same bytes whatever the order of the input.
      Instance shuffled = in;
      std::shuffle(shuffled.mentees.begin(), shuffled.mentees.end(), rng);
      std::shuffle(shuffled.mentors.begin(), shuffled.mentors.end(), rng);
      ASSERT_EQ(Solve({}, shuffled.Json()).out, r.out) << "seed " << seed;
    }
  }
  EXPECT_GT(with_choice, 5) << with_choice;
}

// Bad input: exit 2, nothing on stdout, one line on stderr naming it.
void ExpectBadInput(const std::string& input, const std::string& needle,
                    const std::vector<std::string>& args = {}) {
  Outcome r = Solve(args, input);
  EXPECT_EQ(r.exit_code, 2) << input;
  EXPECT_EQ(r.out, "") << input;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr(needle)) << input;
}

TEST(SolveCliTest, BadInputExitsTwoWithOneLine) {
  const std::string mentor_ok =
      R"({"id": "m", "capacity": 1, "ranking": ["e"]})";
  // Malformed JSON, wrong shapes, unknown keys.
  ExpectBadInput("{", "malformed input");
  ExpectBadInput("", "malformed input");
  ExpectBadInput("[]", "malformed input");
  ExpectBadInput(R"({"mentees": []} trailing)", "malformed input");
  ExpectBadInput(R"({"mentees": [{"id": 7}]})", "malformed input");
  ExpectBadInput(R"({"Mentees": []})", "Mentees");
  ExpectBadInput(R"({"mentees": [{"id": "e", "rank": []}]})", "rank");
  ExpectBadInput(R"({"mentors": [{"id": "m", "capacity": 1, "x": 1}]})", "x");
  // Ids.
  ExpectBadInput(R"({"mentees": [{"id": ""}]})", "mentees[0].id: empty");
  ExpectBadInput(R"({"mentors": [{"capacity": 1}]})", "mentors[0].id: empty");
  ExpectBadInput(R"({"mentees": [{"id": "e"}, {"id": "e"}]})",
                 "mentees[1].id: duplicate id \"e\"");
  ExpectBadInput(
      absl::StrCat(R"({"mentors": [)", mentor_ok, ",", mentor_ok, "]}"),
      "mentors[1].id: duplicate id \"m\"");
  ExpectBadInput(R"({"mentees": [{"id": "e", "ranking": ["nobody"]}]})",
                 "mentees[0].ranking[0]: unknown id \"nobody\"");
  ExpectBadInput(
      absl::StrCat(R"({"mentees": [{"id": "e"}], "mentors": [)",
                   R"({"id": "m", "capacity": 1, "ranking": ["x"]})", "]}"),
      "mentors[0].ranking[0]: unknown id \"x\"");
  ExpectBadInput(absl::StrCat(R"({"mentees": [{"id": "m"}], "mentors": [)",
                              mentor_ok, "]}"),
                 "mentors[0].id: \"m\" is also a mentee");
  ExpectBadInput(R"({"mentees": [{"id": "e", "ranking": ["f"]}, {"id": "f"}]})",
                 "mentees[0].ranking[0]: \"f\" is a mentee, not a mentor");
  ExpectBadInput(
      absl::StrCat(R"({"mentees": [{"id": "e"}], "mentors": [)", mentor_ok,
                   R"(, {"id": "n", "capacity": 1, "ranking": ["m"]}]})"),
      "mentors[1].ranking[0]: \"m\" is a mentor, not a mentee");
  ExpectBadInput(
      absl::StrCat(R"({"mentees": [{"id": "e", "ranking": ["m", "m"]}], )",
                   R"("mentors": [)", mentor_ok, "]}"),
      "mentees[0].ranking[1]: \"m\" ranked twice");
  // An id that would break the line is escaped.
  ExpectBadInput(R"({"mentees": [{"id": "e\nvil", "ranking": ["x\ny"]}]})",
                 "unknown id \"x\\ny\"");
  // Capacities.
  for (const auto& [value, problem] :
       std::vector<std::pair<std::string, std::string>>{
           {"1.5", "not an integer"},
           {"\"2\"", "not an integer"},
           {"true", "not an integer"},
           {"null", "not an integer"},
           {"[1]", "not an integer"},
           {"-1", "negative"},
           {"1e12", "too large"}}) {
    ExpectBadInput(
        absl::StrCat(R"({"mentors": [{"id": "m", "capacity": )", value, "}]}"),
        absl::StrCat("mentors[0].capacity: ", problem));
  }
  ExpectBadInput(R"({"mentors": [{"id": "m", "ranking": []}]})",
                 "mentors[0].capacity: missing");
  // optimal.
  for (const char* optimal : {"both", "", "Mentee", "mentors"}) {
    ExpectBadInput(absl::StrCat(R"({"optimal": ")", optimal, "\"}"),
                   "optimal: must be \"mentee\" or \"mentor\"");
  }
  ExpectBadInput(R"({"optimal": 1})", "malformed input");
  // Files and arguments.
  ExpectBadInput("{}", "cannot read \"/nonexistent/instance.json\"",
                 {"/nonexistent/instance.json"});
  ExpectBadInput("{}", "Is a directory", {"/"});
  ExpectBadInput("{}", "usage: peermatch solve [FILE]", {"a.json", "b.json"});
  ExpectBadInput("{}", "unknown flag --fast", {"--fast"});
}

TEST(SolveCliTest, EmptyAndZeroCapacityInstancesAreValid) {
  EXPECT_EQ(Solve({}, "{}").out, Output({}, {}));
  Outcome r = Solve({}, R"({"optimal": "mentor", "mentees": [{"id": "e"}],
                        "mentors": [{"id": "m", "capacity": 0.0}]})");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Output({}, {"e"}));
}

// simdjson reads the file (issue 11): null is an absent field and a
// repeated key keeps its last value (README, "choices").
TEST(SolveCliTest, NullIsAbsentAndTheLastRepeatedKeyCounts) {
  Outcome r = Solve({}, R"({"optimal": null,
      "mentees": [{"id": "e", "ranking": ["x"], "ranking": ["m"]},
                  {"id": "f", "ranking": null}],
      "mentors": [{"id": "m", "capacity": 1, "ranking": ["e"]}]})");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, Output({{"e", "m"}}, {"f"}));
}

}  // namespace
}  // namespace peermatch::cli
