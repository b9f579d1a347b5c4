/* cmd_mailtest: `diaryd outbox test [ADDRESS]`: one short message through
 * the configured transport, straight away (not through the outbox), to see
 * that [mail] works before any confirmation depends on it.
 *
 * Exit status: 0 sent (or written to the maildir); 1 not sent, with the
 * reason classified as the outbox would (temporary, permanent, credentials,
 * TLS, configuration) and what to do about it; 2 bad usage or a [mail]
 * section with problems. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "cli.h"
#include "mail.h"
#include "message.h"
#include "report.h"

static const char *failure_hint(const GError *error) {
  if (error->domain != MAIL_ERROR)
    return "not sent";
  switch ((MailError)error->code) {
  case MAIL_ERROR_TEMPORARY:
    return "temporary failure: the server or the network may recover, so the outbox retries such messages by "
           "itself; try again later";
  case MAIL_ERROR_PERMANENT:
    return "permanent failure: the server refused this message or this recipient, and would again; check the "
           "address (and from in [mail])";
  case MAIL_ERROR_AUTH:
    return "credentials refused: check username and password_command (or password) in [mail]; Gmail, Fastmail "
           "and iCloud want an app password; confirmations stop until this is fixed";
  case MAIL_ERROR_TLS:
    return "TLS failure, nothing was sent: check the host and port in url (smtps:// for port 465, smtp:// with "
           "STARTTLS for 587), and ca_file for a server with a private certificate authority";
  case MAIL_ERROR_CONFIG:
    return "configuration problem: see [mail] in the config file (diaryd config check)";
  }
  return "not sent";
}

static char *test_body(const MailTransport *t, const char *to) {
  char host[256] = "";
  if (gethostname(host, sizeof host - 1) != 0)
    host[0] = '\0';
  host[sizeof host - 1] = '\0';
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autofree char *when = g_date_time_format(now, "%a %-d %b %Y %H:%M:%S %z");
  return g_strdup_printf("This is a test message from diaryd (diaryd outbox test).\n"
                         "\n"
                         "It went to %s through %s, from %s, on %s.\n"
                         "If you can read it, diaryd's confirmation emails can reach this address.\n",
                         to, mail_transport_describe(t), *host ? host : "this machine", when);
}

int cmd_outbox_test(int argc, char **argv) {
  /* As main() does for subcommands: the usage names the whole command. */
  char prog[] = "diaryd outbox test";
  argv[0] = prog;
  g_autofree char *config = NULL;
  const GOptionEntry entries[] = {
      {"config", 0, 0, G_OPTION_ARG_FILENAME, &config, "Config file (default: $XDG_CONFIG_HOME/diaryd/config)", "FILE"},
      {NULL}};
  g_autoptr(GOptionContext) ctx =
      cli_context("[ADDRESS]",
                  "Send one short test message through the [mail] transport to ADDRESS (default: [mail] from),\n"
                  "straight away, and say what happened.  Exit 0 when it was sent, 1 when not.",
                  entries);
  int rc = cli_parse(ctx, &argc, &argv);
  if (rc)
    return rc;
  if (argc > 2) {
    fprintf(stderr, "diaryd: usage: diaryd outbox test [--config FILE] [ADDRESS]\n");
    return EXIT_USAGE;
  }

  CheckConfig check;
  check_config_init(&check, g_get_real_time() / G_USEC_PER_SEC);
  g_autoptr(DiarydConfig) cfg = cli_load_config(config, &check);
  const MailSettings *m = &cfg->mail;
  if (m->bad) {
    fprintf(stderr, "diaryd: the [mail] section has problems (above): fix them first\n");
    check_config_clear(&check);
    return EXIT_USAGE;
  }
  /* The envelope sender: [mail] from, else the owner's address, as the
   * confirmations use; else the address the test goes to. */
  const char *const *owners = check_config_owners(&check);
  g_autofree char *from = g_strdup(m->from ? m->from : owners && owners[0] ? owners[0] : NULL);
  check_config_clear(&check);
  const char *to = argc == 2 ? argv[1] : from;
  if (!to) {
    fprintf(stderr, "diaryd: outbox test: no address: give one (diaryd outbox test ADDRESS), or set from = ... in "
                    "[mail]\n");
    return EXIT_USAGE;
  }
  if (!message_address_valid(to)) {
    cli_say(stderr, "outbox test: \"%s\" is not an address diaryd sends to (plain local@domain.example)", to);
    return EXIT_USAGE;
  }
  if (g_strcmp0(to, from) && !mail_settings_domain_allowed(m, to)) {
    cli_say(stderr, "outbox test: %s is outside [mail] allow_domains: diaryd sends no mail there", to);
    return EXIT_USAGE;
  }
  if (!from)
    from = g_strdup(to);

  g_autoptr(GError) error = NULL;
  g_autoptr(MailTransport) t = mail_transport_new(m, &error);
  if (!t) {
    cli_say(stderr, "outbox test: %s", error->message);
    return EXIT_USAGE;
  }

  g_autoptr(GDateTime) local = g_date_time_new_now_local();
  gint64 now = g_date_time_to_unix(local);
  g_autofree char *key = g_uuid_string_random();
  const char *at = strrchr(from, '@');
  g_autofree char *message_id = message_id_make(key, at ? at + 1 : NULL);
  g_autofree char *body = test_body(t, to);
  MessageSpec spec = {.from_name = m->from_name,
                      .from = from,
                      .to = to,
                      .reply_to = m->reply_to,
                      .subject = "diaryd test message",
                      .message_id = message_id,
                      .date = now,
                      .utc_offset = (int)(g_date_time_get_utc_offset(local) / G_USEC_PER_SEC),
                      .text = body};
  gsize len = 0;
  g_autofree char *why = NULL;
  g_autofree char *data = message_build(&spec, &len, &why);
  if (!data) {
    cli_say(stderr, "outbox test: the test message could not be built: %s", why ? why : "unknown reason");
    return EXIT_FAILED;
  }
  if (!mail_send(t, from, to, data, len, &error)) {
    cli_say(stderr, "the test message was not sent: %s", error->message);
    fprintf(stderr, "diaryd: %s\n", failure_hint(error));
    return EXIT_FAILED;
  }
  if (mail_transport_leaves_machine(t))
    printf("sent a test message to %s through %s (Message-ID %s)\n", to, mail_transport_describe(t), message_id);
  else
    printf("wrote a test message to %s into %s (Message-ID %s)\n", to, mail_transport_describe(t), message_id);
  return 0;
}
