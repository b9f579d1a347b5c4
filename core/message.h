/* message: the confirmation, update and cancellation emails diaryd sends,
 * built as RFC 5322 / MIME messages, and the templates their words come
 * from (pure: no files, no clock; the caller passes the date).
 *
 * libcurl sends the bytes of a message exactly as given, so everything a
 * transport or a mail reader could misread is settled here: CRLF line ends
 * only, every line at most 998 octets, header fields folded at 78 octets
 * where they can be, no way for text to start a new header field or a new
 * MIME part.
 *
 * Untrusted input: display names, the subject, the plain-text body and the
 * template values come from other people's calendars (SUMMARY, LOCATION,
 * DESCRIPTION, an attendee's CN).  They may hold any byte: CR, LF, other
 * control characters, invalid UTF-8, "\n.\n", header-looking text, very
 * long lines.  Functions here accept all of that and say below what they do
 * with it.  Addresses, Message-IDs and the METHOD are checked and refused
 * when bad: they are never cleaned into something else.
 *
 * Ownership: every returned string is newly allocated (g_free); inputs are
 * borrowed and never kept.
 */
#pragma once

#include <glib.h>

#define MESSAGE_SUBJECT_MAX_CHARS 200 /* a cleaned Subject is cut at this many characters */
#define MESSAGE_NAME_MAX_CHARS 100    /* and a display name at this many */
#define MESSAGE_PART_MAX (8 * 1024 * 1024) /* octets of text, html or ics: more is refused */
#define MESSAGE_TEMPLATE_MAX (256 * 1024)  /* octets of template text: more is refused */

/* Whether `addr` is an addr-spec diaryd will put in an envelope and a
 * header: ASCII only, exactly one '@'; the local part 1..64 octets of
 * RFC 5322 atext and dots (dot-atom: no leading, trailing or double dot;
 * quoted local parts are refused); the domain 1..253 octets of LDH labels
 * (letters, digits, '-'; 1..63 octets each, no leading or trailing '-')
 * with at least one dot, or a bracketed IPv4 literal ("[192.0.2.1]",
 * decimal octets 0..255 without leading zeros); 254 octets in all.  So it
 * never accepts CR, LF, NUL, space, '<', '>', ',', '"', '(', ')', ';', ':',
 * '\\' or a second '@'.  NULL is not valid. */
gboolean message_address_valid(const char *addr);

/* Whether `domain` is a domain message_address_valid() accepts after the
 * '@' in its LDH form (a bracketed literal is not a domain here). */
gboolean message_domain_valid(const char *domain);

/* Whether `id` is a msg-id diaryd writes: "<LEFT@RIGHT>" with LEFT an
 * RFC 5322 dot-atom-text and RIGHT a dot-atom-text or a "[...]" literal of
 * printable ASCII (no '[', ']', '\\'), 300 octets in all (every id
 * message_id_make() writes is valid).  NULL is not valid. */
gboolean message_id_valid(const char *id);

/* A stable Message-ID "<HEX@DOMAIN>": HEX is the first 32 hex digits (lower
 * case) of SHA-256 over `key` (NULL counts as ""), so one key always gives
 * the same id and a retried message is the same message.  `domain` must be
 * valid (message_domain_valid); otherwise "diaryd.invalid" is used. */
char *message_id_make(const char *key, const char *domain);

/* What one message says.  No field is kept after message_build() returns. */
typedef struct {
  const char *from_name;   /* display name or NULL (hostile text) */
  const char *from;        /* addr-spec: must be valid */
  const char *to_name;     /* display name or NULL (hostile: an attendee's CN) */
  const char *to;          /* addr-spec: must be valid */
  const char *reply_to;    /* addr-spec or NULL: must be valid when set */
  const char *subject;     /* hostile UTF-8; required (it may clean to nothing: an empty Subject) */
  const char *message_id;  /* "<...@...>" (message_id_valid), e.g. from message_id_make() */
  const char *in_reply_to; /* "<...@...>" or NULL: written as In-Reply-To and References */
  gint64 date;             /* Unix seconds; the Date must fall in the years 1900..9999 */
  int utc_offset;          /* seconds east of UTC for the Date header's zone (+0100); |offset| < 24 h,
                            * seconds beyond whole minutes are dropped */
  const char *text;        /* plain-text body, hostile UTF-8, any newline convention; required */
  const char *html;        /* or NULL: an HTML alternative (already escaped by the caller) */
  const char *ics;         /* iCalendar text, or NULL; sent exactly as given (base64) */
  const char *method;      /* the ics METHOD ("PUBLISH", "REQUEST", "CANCEL"): required with ics, a
                            * token of letters, digits and '-'; ignored without ics */
} MessageSpec;

/* Builds the whole message.
 *
 * Header fields, each exactly once and in this order: Date (RFC 5322, in
 * the given offset, English names), From, To, Reply-To (when set),
 * Subject, Message-ID, In-Reply-To and References (when set),
 * MIME-Version: 1.0, Auto-Submitted: auto-generated, Content-Type.
 *
 * Display names and the Subject are cleaned: invalid UTF-8 is replaced
 * (U+FFFD), CR, LF, C0 and C1 controls, DEL and Unicode white space become
 * a space, runs of spaces collapse, the ends are trimmed, and the result is
 * cut at MESSAGE_NAME_MAX_CHARS / MESSAGE_SUBJECT_MAX_CHARS characters.
 * Words that are not ASCII, hold "=?", or are too long to fold within 78
 * octets are written as RFC 2047 encoded-words (UTF-8, B encoding, at most
 * 72 octets each, a UTF-8 sequence never split), a run of such words
 * together; the other words as they are: in the Subject as plain text, in
 * a name as atoms, or as a quoted-string when the run holds a special
 * ('"' and '\\' escaped).  A reader decodes exactly the cleaned text
 * (Python's email package, 3.11, adds a space between two adjacent
 * encoded-words in a name: they occur only in a run over 45 octets).  A
 * name that cleans to nothing is left out (a bare addr-spec).  Header
 * fields are folded (CRLF SP) at 78 octets; only an address or id longer
 * than that line makes a longer one.
 *
 * Body: multipart/mixed holding a multipart/alternative of text/plain
 * (charset=UTF-8, quoted-printable), then text/html (same) when `html` is
 * set, then text/calendar; charset=UTF-8; method=METHOD (base64, lines of
 * 76) when `ics` is set; after the alternative, when `ics` is set, the same
 * calendar as an attachment (application/ics; name="invite.ics",
 * Content-Disposition: attachment; filename="invite.ics", base64).  The
 * method parameter is written in upper case.
 *
 * The text and html parts: invalid UTF-8 replaced, newlines of any kind
 * (CRLF, CR, LF) become CRLF, C0 controls but TAB, DEL and C1 controls are
 * removed; then quoted-printable with lines of at most 76, '=' and
 * non-ASCII encoded, trailing white space encoded, and a '.' or the 'F' of
 * "From " that would start a line encoded too.
 *
 * MIME boundaries derive from the Message-ID, so equal specs give
 * byte-identical messages.
 *
 * Returns the message (CRLF line ends only, every line <= 998 octets,
 * NUL-terminated), with *len (may be NULL) its length.  Returns NULL and
 * sets *error (may be NULL; a sentence for the user) when a required field
 * is missing, an address, the Message-ID, In-Reply-To or the method is not
 * valid, the ics has no line "METHOD:<method>" (case-insensitive; RFC 6047
 * requires the parameter to equal it), the date or offset is out of range,
 * or a part is larger than MESSAGE_PART_MAX.  Never a message with a bad
 * header. */
char *message_build(const MessageSpec *spec, gsize *len, char **error) G_GNUC_WARN_UNUSED_RESULT;

/* The Date field message_build() writes first, "Date: Tue, 08 Dec 2026
 * 10:00:00 +0100\r\n", for a message that goes later than it was built;
 * NULL when the date or offset is out of range (as message_build()). */
char *message_date_field(gint64 date, int utc_offset);

/* ---- templates ------------------------------------------------------------------------------ */

/* The placeholder names the default templates may use, NULL-terminated
 * (config/templates/README says what each holds): summary, when,
 * when_short, when_recipient, previous_when, where, map_link, conference, url, who,
 * organizer, requirements, changes, reason, recipient_name, reply_hint. */
extern const char *const MESSAGE_PLACEHOLDERS[];

typedef struct MessageTemplate MessageTemplate;

/* Parses a template (config/templates/README): the first line is
 * "Subject: TEXT" ("Subject" in any case), then one empty line, then the
 * body.  Placeholders are {name} with name in [a-z_]+; "{{" and "}}" are
 * literal braces.  Lines may end in LF or CRLF; a UTF-8 byte order mark is
 * skipped.  `text` need not be NUL-terminated.  `known` is the
 * NULL-terminated list of names allowed (NULL: MESSAGE_PLACEHOLDERS).
 * Returns NULL with *error (may be NULL) set to "line N: ..." on a missing
 * Subject line or empty line after it, an unknown placeholder, a brace not
 * closed or a lone '}', a '{' not followed by a name, invalid UTF-8 or a
 * NUL; with "template too large" over MESSAGE_TEMPLATE_MAX octets. */
MessageTemplate *message_template_parse(const char *text, gsize len, const char *const *known,
                                        char **error) G_GNUC_WARN_UNUSED_RESULT;
void message_template_free(MessageTemplate *t); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MessageTemplate, message_template_free)

/* Renders `t` with `vars` (char *name -> char *UTF-8 value, borrowed; NULL
 * is an empty table; a missing name renders as empty).  A body line that
 * holds at least one placeholder and whose placeholders all render empty
 * (nothing, or white space only) is left out entirely, so optional lines
 * such as "Where: {where}" vanish; blank lines do not pile up where lines
 * were left out (the blank lines between two kept lines count once, and
 * those before the first or after the last kept line go).  Values with line
 * breaks are inserted as they are.  The body has "\n" line ends as the
 * template has them (plus those in the values); invalid UTF-8 from a value
 * is replaced.  *subject (may be NULL) gets the rendered subject on one
 * line (CR and LF become spaces).  Returns the body. */
char *message_template_render(const MessageTemplate *t, GHashTable *vars, char **subject);

/* Minimal HTML for a plain-text body: every character escaped (&, <, >, ",
 * '), http and https URLs made into links (the href escaped too; no other
 * scheme is ever linked), line breaks as <br>, leading and repeated spaces
 * kept as &nbsp;, controls removed, invalid UTF-8 replaced, all in a small
 * <html><body> with a readable font.  NULL counts as "". */
char *message_text_to_html(const char *text);
