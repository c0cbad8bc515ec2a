#include "cli/jobs_cmd.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "cli/rpc.h"
#include "google/protobuf/util/time_util.h"
#include "peermatch/v1/coordination_service.grpc.pb.h"

namespace peermatch::cli {
namespace {

namespace v1 = ::peermatch::v1;
using ::google::protobuf::util::TimeUtil;

bool IsTerminal(v1::JobState s) {
  return s == v1::JOB_STATE_SUCCEEDED || s == v1::JOB_STATE_FAILED ||
         s == v1::JOB_STATE_CANCELLED;
}

// Strips the enum prefix: JOB_STATE_RUNNING -> RUNNING.
std::string Short(const std::string& name, const std::string& prefix) {
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string StateName(v1::JobState s) {
  return Short(v1::JobState_Name(s), "JOB_STATE_");
}

void PrintJob(const GlobalOptions& o, const v1::Job& j) {
  if (o.output == "json") {
    std::printf("%s\n", ToJson(j).c_str());
    return;
  }
  std::printf(
      "%-8s %-16s %-10s %-11s %5.1f%%  attempt %d  created %s", j.id().c_str(),
      Short(v1::JobKind_Name(j.kind()), "JOB_KIND_").c_str(),
      StateName(j.state()).c_str(), j.phase().c_str(), j.progress_percent(),
      j.attempt(), TimeUtil::ToString(j.create_time()).c_str());
  if (j.cancel_requested()) std::printf("  cancel requested");
  if (j.has_result() && j.result().has_matching()) {
    const auto& m = j.result().matching();
    std::printf("  matched %d unmatched %d blocking %lld", m.matched(),
                m.unmatched(), static_cast<long long>(m.blocking_pairs()));
  }
  if (j.has_result() && j.result().has_grouping()) {
    const auto& g = j.result().grouping();
    std::printf("  groups %d placed %d", g.groups(), g.placed());
  }
  if (!j.error().empty()) std::printf("  error: %s", j.error().c_str());
  std::printf("\n");
}

int ExitFor(const v1::Job& j) {
  return j.state() == v1::JOB_STATE_SUCCEEDED ? kExitOk : kExitJobFailed;
}

// The phase and a bar on stderr: redrawn in place on a terminal, one line
// per phase or state change otherwise.
class ProgressView {
 public:
  ProgressView() : tty_(isatty(STDERR_FILENO)) {}
  void Show(const v1::Job& j) {
    const std::string state = StateName(j.state());
    if (tty_) {
      const int width = 30;
      int filled = static_cast<int>(width * j.progress_percent() / 100.0);
      filled = std::max(0, std::min(width, filled));
      std::fprintf(stderr, "\r%s [%s%s] %5.1f%% %-12s %-10s", j.id().c_str(),
                   std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(),
                   j.progress_percent(), j.phase().c_str(), state.c_str());
      if (IsTerminal(j.state())) std::fprintf(stderr, "\n");
    } else if (j.phase() != last_phase_ || state != last_state_) {
      std::fprintf(stderr, "%s %s %s %.0f%%\n", j.id().c_str(), state.c_str(),
                   j.phase().c_str(), j.progress_percent());
    }
    last_phase_ = j.phase();
    last_state_ = state;
  }

 private:
  bool tty_;
  std::string last_phase_, last_state_;
};

// Follows `job_id` until a terminal state, then prints it.
int Follow(const GlobalOptions& o, const std::string& pool,
           const std::string& job_id) {
  auto stub = v1::CoordinationService::NewStub(MakeChannel(o));
  ProgressView view;
  v1::WatchJobRequest req;
  req.set_pool(pool);
  req.set_job_id(job_id);
  // A stream may end before the job does: the server caps a watch's length
  // and a replica shutting down ends its streams. Watch again then.
  constexpr int kMaxStreams = 200;
  for (int stream = 0; stream < kMaxStreams; ++stream) {
    grpc::ClientContext ctx;  // no deadline: the job decides how long
    if (!o.token.empty()) {
      ctx.AddMetadata("authorization", "Bearer " + o.token);
    }
    auto reader = stub->WatchJob(&ctx, req);
    v1::Job job;
    bool terminal = false;
    while (reader->Read(&job)) {
      view.Show(job);
      if (IsTerminal(job.state())) terminal = true;
    }
    grpc::Status s = reader->Finish();
    if (terminal) {
      PrintJob(o, job);
      return ExitFor(job);
    }
    const bool again = s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
                       s.error_code() == grpc::StatusCode::UNAVAILABLE ||
                       (s.ok() && !terminal);
    if (!again) return ReportError(s);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::fprintf(stderr, "error: gave up watching %s\n", job_id.c_str());
  return kExitCallFailed;
}

bool ParseKind(const std::string& name, v1::JobKind* kind) {
  if (name == "MENTOR_MATCHING" || name == "mentor-matching") {
    *kind = v1::JOB_KIND_MENTOR_MATCHING;
  } else if (name == "GROUPS" || name == "groups") {
    *kind = v1::JOB_KIND_GROUPS;
  } else if (name == "BOTH" || name == "both") {
    *kind = v1::JOB_KIND_BOTH;
  } else {
    return false;
  }
  return true;
}

bool ParseInt(const std::string& text, int* out) {
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < -2147483647L || v > 2147483647L) {
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

int Start(const GlobalOptions& o, const Args& a) {
  v1::StartJobRequest req;
  req.set_pool(a.Get("pool"));
  v1::JobKind kind;
  if (!ParseKind(a.Get("kind"), &kind)) {
    return UsageError("--kind must be MENTOR_MATCHING, GROUPS or BOTH");
  }
  req.set_kind(kind);
  req.set_idempotency_key(a.Get("idempotency-key"));
  v1::MatchingOptions* m = req.mutable_matching_options();
  v1::GroupingOptions* g = req.mutable_grouping_options();
  if (a.Has("max-candidates")) {
    int n = 0;
    if (!ParseInt(a.Get("max-candidates"), &n)) {
      return UsageError("--max-candidates must be an integer");
    }
    m->set_max_candidates(n);
  }
  if (a.Has("time-budget-ms")) {
    int n = 0;
    if (!ParseInt(a.Get("time-budget-ms"), &n)) {
      return UsageError("--time-budget-ms must be an integer");
    }
    g->set_time_budget_ms(n);
  }
  m->set_incremental(a.Has("incremental"));
  if (a.Has("mentor-proposing")) {
    m->set_proposing_side(v1::PROPOSING_SIDE_MENTOR);
  }
  g->set_full(a.Has("full"));
  if (a.Has("reference-time")) {
    google::protobuf::Timestamp t;
    if (!TimeUtil::FromString(a.Get("reference-time"), &t)) {
      return UsageError(
          "--reference-time must be RFC 3339, e.g. "
          "2026-11-23T00:00:00Z");
    }
    *m->mutable_reference_time() = t;
    *g->mutable_reference_time() = t;
  }
  auto stub = v1::CoordinationService::NewStub(MakeChannel(o));
  v1::StartJobResponse resp;
  grpc::Status s = stub->StartJob(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  if (resp.existing()) {
    std::fprintf(stderr, "idempotency key already used: job %s\n",
                 resp.job().id().c_str());
  }
  if (!a.Has("wait")) {
    PrintJob(o, resp.job());
    return kExitOk;
  }
  return Follow(o, req.pool(), resp.job().id());
}

// GetJob or CancelJob of one job, printing the job it returns.
template <typename Request, typename Response>
int OnOneJob(const GlobalOptions& o, const Args& a, const std::string& id,
             grpc::Status (v1::CoordinationService::Stub::*rpc)(
                 grpc::ClientContext*, const Request&, Response*)) {
  auto stub = v1::CoordinationService::NewStub(MakeChannel(o));
  Request req;
  req.set_pool(a.Get("pool"));
  req.set_job_id(id);
  Response resp;
  grpc::Status s = ((*stub).*rpc)(MakeContext(o).get(), req, &resp);
  if (!s.ok()) return ReportError(s);
  PrintJob(o, resp.job());
  return kExitOk;
}

int List(const GlobalOptions& o, const Args& a) {
  auto stub = v1::CoordinationService::NewStub(MakeChannel(o));
  v1::ListJobsRequest req;
  req.set_pool(a.Get("pool"));
  int size = 0;
  if (a.Has("page-size") && !ParseInt(a.Get("page-size"), &size)) {
    return UsageError("--page-size must be an integer");
  }
  req.set_page_size(size);
  req.set_page_token(a.Get("page-token"));
  for (;;) {
    v1::ListJobsResponse resp;
    grpc::Status s = stub->ListJobs(MakeContext(o).get(), req, &resp);
    if (!s.ok()) return ReportError(s);
    for (const v1::Job& j : resp.jobs()) PrintJob(o, j);
    if (resp.next_page_token().empty()) break;
    if (!a.Has("all")) {
      std::fprintf(stderr, "next page: --page-token %s (or --all)\n",
                   resp.next_page_token().c_str());
      break;
    }
    req.set_page_token(resp.next_page_token());
  }
  return kExitOk;
}

}  // namespace

int RunJobs(const GlobalOptions& options,
            const std::vector<std::string>& args) {
  if (args.empty()) {
    return UsageError(
        "jobs needs a subcommand: start, get, list, cancel, watch");
  }
  const std::string sub = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  Args a;
  std::string error;
  if (!Args::Parse(
          rest,
          {"pool", "kind", "idempotency-key", "max-candidates",
           "time-budget-ms", "reference-time", "page-size", "page-token"},
          {"incremental", "mentor-proposing", "full", "wait", "all"}, &a,
          &error)) {
    return UsageError(error);
  }
  if (!a.Has("pool")) return UsageError("--pool is required");
  if (sub == "start") {
    if (!a.positional().empty()) return UsageError("jobs start takes no ID");
    return Start(options, a);
  }
  if (sub == "list") return List(options, a);
  if (sub != "get" && sub != "cancel" && sub != "watch") {
    return UsageError("unknown jobs subcommand " + sub);
  }
  if (a.positional().size() != 1) {
    return UsageError("jobs " + sub + " needs one JOB_ID");
  }
  const std::string& id = a.positional()[0];
  if (sub == "get") {
    return OnOneJob(options, a, id, &v1::CoordinationService::Stub::GetJob);
  }
  if (sub == "cancel") {
    return OnOneJob(options, a, id, &v1::CoordinationService::Stub::CancelJob);
  }
  return Follow(options, a.Get("pool"), id);
}

}  // namespace peermatch::cli
