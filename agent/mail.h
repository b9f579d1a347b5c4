/* mail: how a message leaves this machine.  One interface, three
 * transports behind it (SMTP through libcurl, a sendmail-compatible
 * command, a local maildir), chosen by the [mail] section; the caller
 * never knows which one it has.
 *
 * Contract of every transport:
 * - One message to ONE recipient per mail_send() (one SMTP transaction
 *   each), so that the state kept per recipient stays exact.
 * - `data` is a complete RFC 5322 message with CRLF line ends.  A bare CR
 *   or LF, or a NUL byte, is refused before anything is sent (a bare LF is
 *   how SMTP smuggling starts); so is an empty message or one over
 *   MAIL_MAX_MESSAGE.  SMTP sends the bytes as they are (libcurl only
 *   dot-stuffs them); sendmail and maildir get them with LF line ends, as
 *   those expect.
 * - `from` and `rcpt` are plain addr-specs (message_address_valid() of core/message.h); any
 *   other is refused (PERMANENT for a recipient, CONFIG for the sender),
 *   so nothing can change the meaning of an SMTP command or an argv.
 * - Every failure is classified (MailError below) and its message names
 *   the server or the command, the recipient and, when there is one, the
 *   server's reply or the command's stderr: cleaned of control characters
 *   and cut at 300 characters.  A secret is never in a message, a log
 *   line or libcurl's verbose output (which is never switched on).
 * - Blocking: mail_send() blocks the calling thread for at most about two
 *   minutes (SMTP: 30 s to connect, 120 s in all; sendmail: 60 s, then it
 *   is killed).  Call it from a worker thread or a child process, never
 *   from the agent's main loop.  One MailTransport is used by one thread
 *   at a time.
 */
#pragma once

#include <glib.h>

#include "accounts.h"

#define MAIL_ERROR (mail_error_quark())
GQuark mail_error_quark(void);
typedef enum {
  MAIL_ERROR_TEMPORARY,  /* 4xx, connect refused/reset/timeout, sendmail EX_TEMPFAIL: retry later, same bytes.
                            Also when the connection died after the whole message was sent and before the
                            server answered: it may have been delivered (the message says so) */
  MAIL_ERROR_PERMANENT,  /* 5xx for this recipient or this message, sendmail "no such user", a malformed
                            message or recipient: never retry it */
  MAIL_ERROR_AUTH,       /* credentials refused (535/534/530/454), no mechanism in common, or no secret
                            (password_command failed): stop all sending, tell the owner */
  MAIL_ERROR_TLS,        /* the server offers no STARTTLS, its certificate or host name is refused, the
                            handshake fails: nothing was sent */
  MAIL_ERROR_CONFIG,     /* unusable settings: a [mail] section with problems, a sendmail command that
                            cannot be run, a maildir that cannot be written, a bad sender address */
} MailError;

#define MAIL_MAX_MESSAGE (32u * 1024 * 1024) /* bytes: a larger message is refused (PERMANENT) */

typedef struct MailTransport MailTransport;

/* A transport for the settings (copied: `m` need not outlive it).  Nothing
 * is contacted or run yet: the SMTP secret is asked for at the first send.
 * NULL with MAIL_ERROR_CONFIG when m->bad (the [mail] section has
 * problems) or the settings lack what the transport needs. */
MailTransport *mail_transport_new(const MailSettings *m, GError **error) G_GNUC_WARN_UNUSED_RESULT;
/* NULL-safe.  Closes the SMTP connection and wipes the secret. */
void mail_transport_free(MailTransport *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MailTransport, mail_transport_free)

/* For the user, never with a secret:
 *   "SMTP smtps://smtp.fastmail.com:465 as sam@example.com"
 *   "SMTP smtp://mail.example.com:587 (STARTTLS) without login"
 *   "sendmail: msmtp -a work"
 *   "maildir /home/sam/.local/share/diaryd/mail (nothing leaves this machine)"
 * Owned by the transport. */
const char *mail_transport_describe(const MailTransport *t);

/* FALSE for maildir: what it "sends" stays on this machine. */
gboolean mail_transport_leaves_machine(const MailTransport *t);

/* Sends `data` (`len` bytes, CRLF line ends) from `from` to `rcpt` alone.
 * TRUE when the server accepted it (250 after the data), the command
 * exited 0, or the file is in maildir/new (fsync'd, and the folder too).
 * FALSE with a MAIL_ERROR otherwise.
 *
 * SMTP: smtps:// is TLS from the first byte; smtp:// requires STARTTLS
 * (CURLUSESSL_ALL): a server without it gets nothing but EHLO.  The peer's
 * certificate and host name are always verified (ca_file adds a trusted
 * CA).  The connection is kept between calls on one transport and opened
 * again when it was closed.  After an AUTH error the secret is forgotten,
 * so the next call runs password_command again.
 *
 * sendmail: argv + "-oi -f FROM -- RCPT", no shell, the message on stdin,
 * stdout to /dev/null, stderr captured (its first 2 KB).  Exit 0: sent;
 * 75 (EX_TEMPFAIL), 69, 70, 71, 74, a signal, or the 60 s timeout:
 * TEMPORARY; 77 (EX_NOPERM): AUTH; any other: PERMANENT.  But 69 with
 * "server message: 5xx" on stderr (msmtp's way of passing on a final
 * refusal, which it exits 69 for like a 4xx) is PERMANENT.
 * DIARYD_SENDMAIL_TIMEOUT (seconds, at most 60) shortens the timeout, for
 * tests.
 *
 * maildir: MAILDIR/{tmp,new,cur} made when missing (0700); the message,
 * with "Return-Path: <FROM>" and "Delivered-To: RCPT" lines put before it
 * as a delivery agent would, is written to tmp/ (0600, fsync), renamed
 * into new/ under a unique name (SECONDS.M<usec>P<pid>Q<n>.<host>), and
 * new/ is fsync'd. */
gboolean mail_send(MailTransport *t, const char *from, const char *rcpt, const char *data, gsize len,
                   GError **error) G_GNUC_WARN_UNUSED_RESULT;
