#include "cli/coord_cmd.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>

#include "cli/jobs_cmd.h"
#include "cli/rpc.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "peermatch/v1/coordination_service.grpc.pb.h"
#include "peermatch/v1/group_service.grpc.pb.h"
#include "peermatch/v1/matching_service.grpc.pb.h"
#include "peermatch/v1/member_service.grpc.pb.h"
#include "peermatch/v1/pool_service.grpc.pb.h"

namespace peermatch::cli {
namespace {

namespace v1 = ::peermatch::v1;
namespace pb = ::google::protobuf;

// Prints a response: JSON, or the JSON of `table_part` one item a line.
void Print(const GlobalOptions& o, const pb::Message& m) {
  std::printf("%s\n", ToJson(m).c_str());
  (void)o;
}

bool ParseArgs(const std::vector<std::string>& args,
               const std::vector<std::string>& known,
               const std::vector<std::string>& boolean, Args* out, int* rc) {
  std::string error;
  if (!Args::Parse(args, known, boolean, out, &error)) {
    *rc = UsageError(error);
    return false;
  }
  if (!out->Has("pool")) {
    *rc = UsageError("--pool is required");
    return false;
  }
  return true;
}

bool ParseJson(const std::string& json, pb::Message* m, std::string* error) {
  pb::util::JsonParseOptions opts;
  opts.ignore_unknown_fields = false;
  auto s = pb::util::JsonStringToMessage(json, m, opts);
  if (!s.ok()) *error = std::string(s.message());
  return s.ok();
}

std::string ReadArgOrStdin(const std::vector<std::string>& pos, size_t i) {
  if (pos.size() > i && pos[i] != "-") return pos[i];
  return std::string(std::istreambuf_iterator<char>(std::cin), {});
}

// `match run --wait` and `groups form --wait` run as a batch job and follow
// it (R-JOBS): the same as `jobs start --kind KIND ... --wait`.
bool WantsJob(const std::vector<std::string>& args) {
  return std::find(args.begin(), args.end(), "--wait") != args.end();
}

int StartJobAndWait(const GlobalOptions& o, const std::string& kind,
                    const std::vector<std::string>& options) {
  std::vector<std::string> job_args = {"start", "--kind", kind};
  job_args.insert(job_args.end(), options.begin(), options.end());
  if (!WantsJob(job_args)) job_args.push_back("--wait");
  return RunJobs(o, job_args);
}

void PrintMatchLine(const v1::Match& m) {
  std::printf("%-10s %-24s %-24s %-20s mentee %.6f mentor %.6f\n",
              m.id().c_str(), m.mentee_id().c_str(), m.mentor_id().c_str(),
              v1::MatchState_Name(m.state()).c_str(), m.mentee_score(),
              m.mentor_score());
}

}  // namespace

int RunMatch(const GlobalOptions& o, const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("match needs: run, publish, discard or manual");
  }
  std::string sub = args[0];
  if (sub == "run" && WantsJob(args)) {
    return StartJobAndWait(o, "MENTOR_MATCHING",
                           {args.begin() + 1, args.end()});
  }
  Args a;
  int rc = 0;
  if (!ParseArgs({args.begin() + 1, args.end()},
                 {"pool", "max-candidates", "mentee", "mentor", "reason"},
                 {"incremental", "mentor-proposing", "override"}, &a, &rc)) {
    return rc;
  }
  auto stub = v1::CoordinationService::NewStub(MakeChannel(o));
  grpc::Status s;
  if (sub == "run") {
    v1::RunMatchingRequest req;
    req.set_pool(a.Get("pool"));
    req.mutable_options()->set_incremental(a.Has("incremental"));
    req.mutable_options()->set_max_candidates(
        std::atoi(a.Get("max-candidates", "0").c_str()));
    if (a.Has("mentor-proposing")) {
      req.mutable_options()->set_proposing_side(v1::PROPOSING_SIDE_MENTOR);
    }
    v1::RunMatchingResponse resp;
    s = stub->RunMatching(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    if (o.output == "json") {
      Print(o, resp);
    } else {
      for (const auto& m : resp.proposed()) PrintMatchLine(m);
      const auto& r = resp.report();
      std::printf(
          "matched %d, unmatched %d, blocking pairs %lld, created %d, "
          "discarded %d\n",
          r.matched(), r.unmatched(),
          static_cast<long long>(r.blocking_pairs()), r.proposals_created(),
          r.proposals_discarded());
    }
    return kExitOk;
  }
  if (sub == "publish" || sub == "discard") {
    std::vector<std::string> ids = a.positional();
    if (sub == "publish") {
      v1::PublishMatchesRequest req;
      req.set_pool(a.Get("pool"));
      for (const auto& id : ids) req.add_match_ids(id);
      v1::PublishMatchesResponse resp;
      s = stub->PublishMatches(MakeContext(o).get(), req, &resp);
      if (!s.ok()) return ReportError(s);
      if (o.output == "json") {
        Print(o, resp);
      } else {
        std::printf("published %d\n", resp.published());
      }
    } else {
      v1::DiscardProposalsRequest req;
      req.set_pool(a.Get("pool"));
      for (const auto& id : ids) req.add_match_ids(id);
      v1::DiscardProposalsResponse resp;
      s = stub->DiscardProposals(MakeContext(o).get(), req, &resp);
      if (!s.ok()) return ReportError(s);
      if (o.output == "json") {
        Print(o, resp);
      } else {
        std::printf("discarded %d\n", resp.discarded());
      }
    }
    return kExitOk;
  }
  if (sub == "manual") {
    v1::CreateManualMatchRequest req;
    req.set_pool(a.Get("pool"));
    req.set_mentee_id(a.Get("mentee"));
    req.set_mentor_id(a.Get("mentor"));
    req.set_override(a.Has("override"));
    req.set_reason(a.Get("reason"));
    v1::CreateManualMatchResponse resp;
    s = stub->CreateManualMatch(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    if (o.output == "json") {
      Print(o, resp.match());
    } else {
      PrintMatchLine(resp.match());
    }
    return kExitOk;
  }
  return UsageError("unknown match subcommand " + sub);
}

int RunMatches(const GlobalOptions& o, const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("matches needs: list, get, respond or end");
  }
  std::string sub = args[0];
  Args a;
  int rc = 0;
  if (!ParseArgs(
          {args.begin() + 1, args.end()},
          {"pool", "member", "state", "page-size", "page-token", "reason"},
          {"accept", "decline", "exclude", "all"}, &a, &rc)) {
    return rc;
  }
  auto stub = v1::MatchingService::NewStub(MakeChannel(o));
  grpc::Status s;
  if (sub == "list") {
    v1::ListMatchesRequest req;
    req.set_pool(a.Get("pool"));
    req.set_member_id(a.Get("member"));
    req.set_page_size(std::atoi(a.Get("page-size", "1000").c_str()));
    req.set_page_token(a.Get("page-token"));
    if (a.Has("state")) {
      v1::MatchState st;
      if (!v1::MatchState_Parse("MATCH_STATE_" + a.Get("state"), &st)) {
        return UsageError(
            "--state must be PROPOSED, ACTIVE, DECLINED, ENDED "
            "or EXPIRED");
      }
      req.add_states(st);
    }
    for (;;) {
      v1::ListMatchesResponse resp;
      s = stub->ListMatches(MakeContext(o).get(), req, &resp);
      if (!s.ok()) return ReportError(s);
      for (const auto& m : resp.matches()) {
        if (o.output == "json") {
          Print(o, m);
        } else {
          PrintMatchLine(m);
        }
      }
      if (resp.next_page_token().empty() || !a.Has("all")) break;
      req.set_page_token(resp.next_page_token());
    }
    return kExitOk;
  }
  if (a.positional().size() != 1) {
    return UsageError("matches " + sub + " needs one MATCH_ID");
  }
  const std::string& id = a.positional()[0];
  v1::Match out;
  if (sub == "get") {
    v1::GetMatchRequest req;
    req.set_pool(a.Get("pool"));
    req.set_match_id(id);
    v1::GetMatchResponse resp;
    s = stub->GetMatch(MakeContext(o).get(), req, &resp);
    out = resp.match();
  } else if (sub == "respond") {
    if (a.Has("accept") == a.Has("decline")) {
      return UsageError("matches respond needs --accept or --decline");
    }
    v1::RespondToMatchRequest req;
    req.set_pool(a.Get("pool"));
    req.set_match_id(id);
    req.set_member_id(a.Get("member"));
    req.set_accept(a.Has("accept"));
    req.set_reason(a.Get("reason"));
    v1::RespondToMatchResponse resp;
    s = stub->RespondToMatch(MakeContext(o).get(), req, &resp);
    out = resp.match();
  } else if (sub == "end") {
    v1::EndMatchRequest req;
    req.set_pool(a.Get("pool"));
    req.set_match_id(id);
    req.set_reason(a.Get("reason"));
    req.set_exclude(a.Has("exclude"));
    v1::EndMatchResponse resp;
    s = stub->EndMatch(MakeContext(o).get(), req, &resp);
    out = resp.match();
  } else {
    return UsageError("unknown matches subcommand " + sub);
  }
  if (!s.ok()) return ReportError(s);
  if (o.output == "json") {
    Print(o, out);
  } else {
    PrintMatchLine(out);
  }
  return kExitOk;
}

int RunRecommend(const GlobalOptions& o, const std::vector<std::string>& args) {
  Args a;
  int rc = 0;
  if (!ParseArgs(args, {"pool", "mentee", "k"}, {}, &a, &rc)) return rc;
  v1::RecommendMentorsRequest req;
  req.set_pool(a.Get("pool"));
  req.set_mentee_id(a.Get("mentee"));
  req.set_k(std::atoi(a.Get("k", "10").c_str()));
  v1::RecommendMentorsResponse resp;
  auto stub = v1::MatchingService::NewStub(MakeChannel(o));
  grpc::Status s = stub->RecommendMentors(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  if (o.output == "json") {
    Print(o, resp);
    return kExitOk;
  }
  for (const auto& r : resp.recommendations()) {
    std::printf(
        "%-24s score %.6f  free %d  overlap %d min  shared triggers %d\n",
        r.mentor_id().c_str(), r.score(), r.free_capacity(),
        r.explanation().overlap_minutes(),
        r.explanation().shared_triggers_size());
  }
  return kExitOk;
}

int RunExplain(const GlobalOptions& o, const std::vector<std::string>& args) {
  Args a;
  int rc = 0;
  if (!ParseArgs(args, {"pool", "mentee", "mentor"}, {}, &a, &rc)) return rc;
  v1::ExplainPairRequest req;
  req.set_pool(a.Get("pool"));
  req.set_mentee_id(a.Get("mentee"));
  req.set_mentor_id(a.Get("mentor"));
  v1::ExplainPairResponse resp;
  auto stub = v1::MatchingService::NewStub(MakeChannel(o));
  grpc::Status s = stub->ExplainPair(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  const v1::PairExplanation& e = resp.explanation();
  if (o.output == "json") {
    Print(o, e);
    return kExitOk;
  }
  std::printf("acceptable: %s\n", e.acceptable() ? "yes" : "no");
  for (int c : e.failed_constraints()) {
    std::printf("  fails %s\n",
                v1::Constraint_Name(static_cast<v1::Constraint>(c)).c_str());
  }
  for (const auto* view : {&e.mentee_view(), &e.mentor_view()}) {
    std::printf("%s view %.6f:", view == &e.mentee_view() ? "mentee" : "mentor",
                view->score());
    for (const auto& c : view->components()) {
      std::printf("  %s %.3f×%.2f", c.name().c_str(), c.value(), c.weight());
    }
    std::printf("\n");
  }
  std::printf("overlap %d minutes\n", e.overlap_minutes());
  return kExitOk;
}

int RunSettings(const GlobalOptions& o, const std::vector<std::string>& args) {
  if (args.empty()) return UsageError("settings needs: get or update");
  std::string sub = args[0];
  Args a;
  int rc = 0;
  if (!ParseArgs({args.begin() + 1, args.end()}, {"pool", "expected-version"},
                 {}, &a, &rc)) {
    return rc;
  }
  auto stub = v1::PoolService::NewStub(MakeChannel(o));
  if (sub == "get") {
    v1::GetPoolSettingsRequest req;
    req.set_pool(a.Get("pool"));
    v1::GetPoolSettingsResponse resp;
    grpc::Status s = stub->GetPoolSettings(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    Print(o, resp.settings());
    return kExitOk;
  }
  if (sub == "update") {
    v1::UpdatePoolSettingsRequest req;
    req.set_pool(a.Get("pool"));
    std::string error;
    if (!ParseJson(ReadArgOrStdin(a.positional(), 0), req.mutable_settings(),
                   &error)) {
      return UsageError("settings JSON: " + error);
    }
    if (a.Has("expected-version")) {
      req.set_expected_version(std::atoll(a.Get("expected-version").c_str()));
    }
    v1::UpdatePoolSettingsResponse resp;
    grpc::Status s = stub->UpdatePoolSettings(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    Print(o, resp.settings());
    return kExitOk;
  }
  return UsageError("unknown settings subcommand " + sub);
}

int RunStats(const GlobalOptions& o, const std::vector<std::string>& args) {
  Args a;
  int rc = 0;
  if (!ParseArgs(args, {"pool"}, {}, &a, &rc)) return rc;
  v1::GetPoolStatsRequest req;
  req.set_pool(a.Get("pool"));
  v1::GetPoolStatsResponse resp;
  auto stub = v1::PoolService::NewStub(MakeChannel(o));
  grpc::Status s = stub->GetPoolStats(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  const v1::PoolStats& st = resp.stats();
  if (o.output == "json") {
    Print(o, st);
    return kExitOk;
  }
  std::printf("members %lld  safety_hold %lld\n",
              static_cast<long long>(st.members()),
              static_cast<long long>(st.safety_hold()));
  for (const auto& kv : st.by_role()) {
    std::printf("  %-20s %lld\n", kv.key().c_str(),
                static_cast<long long>(kv.count()));
  }
  std::printf("mentees matched %lld of %lld (%.1f%%)\n",
              static_cast<long long>(st.mentees_matched()),
              static_cast<long long>(st.mentees_eligible()),
              100 * st.matched_fraction());
  std::printf("mentor load %lld of %lld (%.1f%%)\n",
              static_cast<long long>(st.mentor_load()),
              static_cast<long long>(st.mentor_capacity()),
              100 * st.mentor_utilisation());
  for (const auto& kv : st.matches_by_state()) {
    std::printf("  %-20s %lld\n", kv.key().c_str(),
                static_cast<long long>(kv.count()));
  }
  std::printf(
      "groups %lld active, %lld proposed; group members placed %lld, "
      "unplaced %lld\n",
      static_cast<long long>(st.groups_active()),
      static_cast<long long>(st.groups_proposed()),
      static_cast<long long>(st.group_members_placed()),
      static_cast<long long>(st.group_members_unplaced()));
  return kExitOk;
}

namespace {

void PrintGroupLine(const v1::Group& g) {
  std::printf(
      "%-8s %-18s %s %02d:%02d-%02d:%02d UTC  facilitator %s  fit %.3f  "
      "members",
      g.id().c_str(), v1::GroupState_Name(g.state()).c_str(),
      v1::DayOfWeek_Name(g.slot_utc().day()).c_str(),
      g.slot_utc().start_minute() / 60, g.slot_utc().start_minute() % 60,
      (g.slot_utc().end_minute() / 60) % 24, g.slot_utc().end_minute() % 60,
      g.facilitator().c_str(), g.total_fit());
  for (const auto& m : g.member_ids()) std::printf(" %s", m.c_str());
  std::printf("\n");
}

}  // namespace

int RunRegroup(const GlobalOptions& o, const std::vector<std::string>& args) {
  return StartJobAndWait(o, "GROUPS", args);
}

int RunGroups(const GlobalOptions& o, const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError("groups needs: form, publish, list, get or join");
  }
  std::string sub = args[0];
  if (sub == "form" && WantsJob(args)) {
    return StartJobAndWait(o, "GROUPS", {args.begin() + 1, args.end()});
  }
  Args a;
  int rc = 0;
  if (!ParseArgs({args.begin() + 1, args.end()},
                 {"pool", "member", "k", "time-budget-ms"}, {"full"}, &a,
                 &rc)) {
    return rc;
  }
  grpc::Status s;
  if (sub == "form" || sub == "publish") {
    auto stub = v1::CoordinationService::NewStub(MakeChannel(o));
    if (sub == "form") {
      v1::FormGroupsRequest req;
      req.set_pool(a.Get("pool"));
      req.mutable_options()->set_full(a.Has("full"));
      req.mutable_options()->set_time_budget_ms(
          std::atoi(a.Get("time-budget-ms", "0").c_str()));
      v1::FormGroupsResponse resp;
      s = stub->FormGroups(MakeContext(o).get(), req, &resp);
      if (!s.ok()) return ReportError(s);
      if (o.output == "json") {
        Print(o, resp);
      } else {
        for (const auto& g : resp.groups()) PrintGroupLine(g);
        std::printf("groups %d, placed %d, unplaced %d, churn %d\n",
                    resp.report().groups(), resp.report().placed(),
                    resp.report().unplaced(), resp.report().churn_size());
      }
      return kExitOk;
    }
    v1::PublishGroupsRequest req;
    req.set_pool(a.Get("pool"));
    for (const auto& id : a.positional()) req.add_group_ids(id);
    v1::PublishGroupsResponse resp;
    s = stub->PublishGroups(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    if (o.output == "json") {
      Print(o, resp);
    } else {
      std::printf("published %d\n", resp.published());
    }
    return kExitOk;
  }
  auto stub = v1::GroupService::NewStub(MakeChannel(o));
  if (sub == "list") {
    v1::ListGroupsRequest req;
    req.set_pool(a.Get("pool"));
    req.set_member_id(a.Get("member"));
    req.set_page_size(1000);
    for (;;) {
      v1::ListGroupsResponse resp;
      s = stub->ListGroups(MakeContext(o).get(), req, &resp);
      if (!s.ok()) return ReportError(s);
      for (const auto& g : resp.groups()) {
        if (o.output == "json") {
          Print(o, g);
        } else {
          PrintGroupLine(g);
        }
      }
      if (resp.next_page_token().empty()) break;
      req.set_page_token(resp.next_page_token());
    }
    return kExitOk;
  }
  if (sub == "get") {
    if (a.positional().size() != 1)
      return UsageError("groups get needs one ID");
    v1::GetGroupRequest req;
    req.set_pool(a.Get("pool"));
    req.set_group_id(a.positional()[0]);
    v1::GetGroupResponse resp;
    s = stub->GetGroup(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    if (o.output == "json") {
      Print(o, resp.group());
    } else {
      PrintGroupLine(resp.group());
      for (const auto& ls : resp.group().local_slots()) {
        std::printf("  %-24s %s %02d:%02d local (%s)\n", ls.member_id().c_str(),
                    v1::DayOfWeek_Name(ls.slot().day()).c_str(),
                    ls.slot().start_minute() / 60,
                    ls.slot().start_minute() % 60, ls.time_zone().c_str());
      }
    }
    return kExitOk;
  }
  if (sub == "join") {
    v1::RankGroupsForMemberRequest req;
    req.set_pool(a.Get("pool"));
    req.set_member_id(a.Get("member"));
    req.set_k(std::atoi(a.Get("k", "10").c_str()));
    v1::RankGroupsForMemberResponse resp;
    s = stub->RankGroupsForMember(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    if (o.output == "json") {
      Print(o, resp);
    } else {
      for (const auto& c : resp.candidates()) {
        std::printf("fit %.3f  free %d  ", c.fit(), c.free_seats());
        PrintGroupLine(c.group());
      }
    }
    return kExitOk;
  }
  return UsageError("unknown groups subcommand " + sub);
}

int RunCall(const GlobalOptions& o, const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError(
        "call needs Service/Method, e.g. MemberService/GetMember '{...}'");
  }
  std::string name = args[0];
  size_t slash = name.find('/');
  if (slash == std::string::npos) return UsageError("use Service/Method");
  std::string service = name.substr(0, slash);
  if (service.find('.') == std::string::npos)
    service = "peermatch.v1." + service;
  const pb::DescriptorPool* pool = pb::DescriptorPool::generated_pool();
  const pb::ServiceDescriptor* sd = pool->FindServiceByName(service);
  const pb::MethodDescriptor* md =
      sd == nullptr ? nullptr : sd->FindMethodByName(name.substr(slash + 1));
  if (md == nullptr) return UsageError("unknown RPC " + name);
  if (md->client_streaming() || md->server_streaming()) {
    return UsageError(name + " is a stream; use the jobs subcommands");
  }
  pb::DynamicMessageFactory factory(pool);
  std::unique_ptr<pb::Message> req(
      factory.GetPrototype(md->input_type())->New());
  std::unique_ptr<pb::Message> resp(
      factory.GetPrototype(md->output_type())->New());
  std::string error;
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (!ParseJson(ReadArgOrStdin(rest, 0), req.get(), &error)) {
    return UsageError("request JSON: " + error);
  }
  std::string bytes = req->SerializeAsString();
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request_buffer(&slice, 1), response_buffer;
  grpc::GenericStub stub(MakeChannel(o));
  auto ctx = MakeContext(o);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(ctx.get(), "/" + service + "/" + md->name(),
                 grpc::StubOptions(), &request_buffer, &response_buffer,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return done; });
  }
  if (!status.ok()) return ReportError(status);
  std::vector<grpc::Slice> slices;
  (void)response_buffer.Dump(&slices);
  std::string out;
  for (const auto& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (!resp->ParseFromString(out)) {
    std::cerr << "error: response does not parse\n";
    return kExitCallFailed;
  }
  std::printf("%s\n", ToJson(*resp).c_str());
  return kExitOk;
}

}  // namespace peermatch::cli
