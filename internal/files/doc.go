// Package files streams uploads to disk or to an S3 bucket under limits and
// serves them back with ranges; a failed or aborted upload leaves nothing
// behind.
//
// A Receiver reads a multipart/form-data body part by part and puts each
// "file" part into a Store while it arrives, never buffered whole in memory
// or spooled first. The Store keeps files in one directory or one bucket
// (its backend) under ids it makes up; the client's file name, passed
// through Sanitize, is display metadata only and never part of a path or
// key. Serve sends a file back as an attachment. Beside the AWS SDK for the
// bucket, the package uses net/http types only and knows nothing of
// routing; the HTTP layer maps its errors to status codes.
package files
