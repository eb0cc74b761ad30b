// Package tasks runs email jobs in the background, after the HTTP response
// that asked for them has been committed.
//
// A request gets a [Batch] from an HTTP middleware. The handler calls [Add],
// which reserves room in the [Queue] at once, so a full or unreachable queue
// is known while the handler can still answer 503. After the handler returned
// without error and the response was committed with a status below 400, the
// middleware calls [Batch.Commit], which hands the jobs to the queue;
// otherwise it calls [Batch.Discard], and nothing is sent.
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
//     queued when the process dies are lost: at-most-once.
//   - Package redisqueue keeps jobs in Redis, so they survive a crash and
//     are sent by whichever instance is up: at-least-once.
//
// The package knows nothing of HTTP frameworks or of how mail is sent: it
// owns the [Mailer] interface, and package mailer implements it.
package tasks
