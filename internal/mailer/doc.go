// Package mailer implements tasks.Mailer: SMTP sends real email, Log writes
// it to the log for development, as the FastAPI tutorial's print does.
//
// Both refuse an email whose header fields hold CR or LF (tasks.Email.Validate)
// and put the email's ID in its Message-ID, so a retried delivery can be
// recognised by the receiver.
package mailer
