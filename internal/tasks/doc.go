// Package tasks runs email jobs in the background, after the HTTP request
// that asked for them has succeeded.
//
// A job is queued, durably with Redis, before its 202 is written; a request
// that fails queues nothing. The handler validates its input, builds the
// [Job] and calls its queue's Enqueue as its last step before answering.
// When Enqueue fails with an error for which [TryLater] holds (queue full,
// shutting down, Redis unreachable), the handler answers 503 with
// Retry-After and nothing is sent. A worker may start the job while the 202
// is still being written, and a queued job runs even if the 202 never
// reaches the client.
//
// Jobs never see the request's context, which is dead once the response is
// written. Each attempt runs in a context of its own, derived from the
// backend, carrying the request id for log lines ([RequestID]) and bounded by
// the per-attempt timeout. Both backends run every attempt through one
// [Runner], so they send mail with the same code, log the same lines and
// count the same [Stats]:
//
//   - [Dispatcher], the default, keeps jobs in memory: a bounded queue,
//     a fixed set of workers, retries with exponential backoff and jitter,
//     and a Shutdown that drains the queue until its deadline. Jobs still
//     queued when the process dies are lost: at most once.
//   - Package redisqueue keeps jobs in Redis, so they survive a crash and
//     are sent by whichever instance is up: at least once.
//
// The package knows nothing of HTTP frameworks or of how mail is sent: it
// owns the [Mailer] interface, and package mailer implements it.
package tasks
