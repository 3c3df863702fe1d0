// The words `--help` prints. Written for an operator who has never seen the tool.

export type CommandName = 'run' | 'ingest' | 'lookup' | 'annotate';

export const HELP = `bounce-origin: find which local client or user sent each message that Amazon SES bounced.

Postfix relays to the SES SMTP interface and logs only "status=sent (250 Ok <ses-id>)"; SES reports the
bounce later through SNS/SQS and names only this MTA's public IP. bounce-origin indexes the Postfix log
and matches each SES notification to the client IP, SASL user or local uid that handed the message in.

Usage: bounce-origin <command> [options]

Commands:
  run             the daemon: follow the log, keep the index, long-poll SQS, log enriched events
  ingest FILE...  index whole log files (plain or .gz) from their first line, then exit
  lookup ID       show what the index knows of a message: SES id, Message-ID, queue id or recipient
  annotate [FILE] annotate SES notifications (JSON lines) from FILE or stdin, without SQS

Options for every command:
  -c, --config FILE   config file (default ${'/etc/bounce-origin/config.json'}; defaults apply if it is absent)
  -h, --help          help for a command: bounce-origin ingest --help

Examples:
  bounce-origin ingest /var/log/mail.log.1 /var/log/mail.log
  bounce-origin lookup 0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000
  bounce-origin annotate < notifications.jsonl
  sqlite3 /var/lib/bounce-origin/index.db 'SELECT at, recipient, client_ip, uid FROM bounces ORDER BY at DESC LIMIT 20'
`;

export const COMMAND_HELP: Record<CommandName, string> = {
  run: `Usage: bounce-origin run [--config FILE]

The daemon. Follows the log source named in the config (a log file that rotates, or journald), keeps the
SQLite index, long-polls the SQS queue of SES notifications (if "sqs" is configured) and writes one
enriched event per affected recipient as a JSON line to its log (stdout, or "logFile"). Relays that SES
refused in the Postfix log itself (554 Message rejected, 501...) are reported as "reject" events.

It resumes where it stopped: the log position is committed with the rows it produced, and SQS messages
are deleted only after their events are committed. SIGTERM or SIGINT: finish the current batch, exit 0.
SIGHUP: reopen "logFile" (for logrotate).

Config (JSON), with its defaults:
  {
    "source": { "type": "file", "path": "/var/log/mail.log" },   or { "type": "journald", "directory"?: DIR,
                                                                      "units"?: [...], "identifiers"?: [...] }
    "database": "/var/lib/bounce-origin/index.db",
    "sqs": { "queueUrl": URL, "region"?: R, "endpoint"?: URL, "lateJoinSeconds"?: 300 },   (optional)
    "retentionDays": 30,
    "logLevel": "info",
    "logFile": null
  }
`,
  ingest: `Usage: bounce-origin ingest [--config FILE] [--database DB] FILE...

Indexes whole Postfix log files from their first line, in the order given, then exits. Plain and
gzip-compressed files are both read (by content, not by name). Give rotated files oldest first, so a
message that spans two files is followed across them:

  bounce-origin ingest /var/log/mail.log.2.gz /var/log/mail.log.1 /var/log/mail.log

Prints one JSON line: {"lines":..., "messages":..., "deliveries":..., "malformed":..., "seconds":...}.
Lines it cannot read are counted and the first few are shown on stderr with their file and line number.
Do not ingest a file the running daemon follows: the database takes one writer at a time.

Options:
  --database DB   the SQLite file to write (default: "database" from the config)
`,
  lookup: `Usage: bounce-origin lookup [--config FILE] [--database DB] [--limit N] ID

Prints, as a JSON array newest first, every indexed message that ID names, with its origin (the client
IP, hostname, SASL user or local uid that handed it to this MTA, even across content-filter hops), its
delivery attempts and its parent/child queue files. ID may be:
  an SES message id      0100019a49dd86e3-e2cb72de-442c-4bb6-91fb-473e87b9158b-000000
  a Message-ID           <6908ab66.sKstWi24GnruRFNe%test@www.non-97.net>   (brackets optional)
  a Postfix queue id     084A213D8DD   (queue ids are reused: you may get several)
  a recipient address    bounce@simulator.amazonses.com
At most --limit messages are printed (default 10, the newest); stderr says when there were more.
Exit status: 0 when something was found, 1 when nothing was.
`,
  annotate: `Usage: bounce-origin annotate [--config FILE] [--database DB] [FILE]

Reads SES notifications, one JSON document per line, from FILE or stdin: SNS envelopes
({"Type":"Notification","Message":"{...}"}) or bare SES JSON (raw message delivery), as identity
notifications (notificationType) or event publishing (eventType). For each affected recipient it
prints one enriched event as a JSON line, with the origin found in the index. Needs no SQS and does
not write the database. A line that is not a notification gets one error line on stderr naming it.

  aws sqs receive-message ... | jq -c '.Messages[].Body | fromjson' | bounce-origin annotate
`,
};
