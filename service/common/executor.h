// Executor: a fixed pool of worker threads with a bounded queue, owned by the
// service. Blocking work (Redis round trips, batch runs) runs here, never on
// gRPC's threads (STYLE.md, gRPC callback API).
//
//   Executor executor("redis", /*threads=*/8, /*max_queue=*/10000);
//   if (!executor.TrySchedule([&] { DoBlockingWork(); })) {
//     reactor->Finish(grpc::Status(grpc::RESOURCE_EXHAUSTED, "busy"));
//   }
//   ...
//   executor.Shutdown();  // runs what is queued, then joins the threads
//
// Thread-safe. Tasks must not throw.
#ifndef PEERMATCH_SERVICE_COMMON_EXECUTOR_H_
#define PEERMATCH_SERVICE_COMMON_EXECUTOR_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace peermatch {

class Executor {
 public:
  // Starts `threads` (>= 1) workers. `max_queue` bounds the tasks waiting to
  // run (R-SEC: nothing allocates without bound).
  Executor(std::string name, int threads, size_t max_queue);
  ~Executor();  // Shutdown()

  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Queues `task`. Returns false, without queuing, when the queue is full or
  // the executor is shutting down.
  bool TrySchedule(std::function<void()> task);

  // Stops accepting tasks, runs every task already queued, joins the
  // workers. Idempotent.
  void Shutdown();

  size_t queued() const;
  int threads() const { return static_cast<int>(workers_.size()); }

 private:
  void WorkerLoop();

  const std::string name_;
  const size_t max_queue_;
  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace peermatch

#endif  // PEERMATCH_SERVICE_COMMON_EXECUTOR_H_
