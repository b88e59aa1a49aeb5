// Usage texts for `ipctap help [COMMAND]`.

export const MAIN_HELP = `ipctap — see, decode, signal and replay the traffic between your processes

Usage: ipctap <command> [options]

Commands:
  run      launch a program with its stdio (and any --tap) captured
  proxy    tap endpoints (Unix socket, FIFO, TCP) without launching anything
  attach   list a running process's IPC endpoints, or take over some of them
  read     print a capture file (decoded again, possibly with another --decode)
  replay   re-send a captured connection's client side to a live peer and compare
  signal   send a signal to a process (recorded by the session that launched it)
  restore  put back sockets and FIFOs that a crashed ipctap left renamed
  decoders list the decoders --decode accepts
  shm      list shared memory (System V, /dev/shm, shared mappings) or watch it change
  export   write a capture as pcapng for Wireshark/tshark
  diff     compare two captures message by message (exit 3 when they differ)
  send     edit a captured client message and send it to a live peer

Tap specs (--tap):
  unix:PATH                take over the Unix socket at PATH (waits for it to appear)
  unix:LISTEN=TARGET       listen at LISTEN, forward to the socket TARGET
  fifo:PATH                take over the FIFO at PATH
  fifo:LISTEN=TARGET       relay what is written to FIFO LISTEN into FIFO TARGET
  tcp:PORT=HOST:PORT       listen on 127.0.0.1:PORT, forward to HOST:PORT

Run 'ipctap help <command>' for a command's options.
Exit codes: 0 success, 1 usage error, 2 runtime failure (replay: 3 when responses differ;
run: the launched program's own status — its exit code, or 128 + the signal that ended it).`;

export const HELP: Record<string, string> = {
  run: `Usage: ipctap run [options] [--] COMMAND [ARGS...]

Launch COMMAND with stdin/stdout/stderr tapped, plus any --tap endpoints, until it exits.
The child's output passes through to the terminal; decoded frames and events are printed to
stderr (or, with --json, everything is printed as JSON Lines on stdout instead).

  -t, --tap SPEC          tap an endpoint as well (repeatable); takeovers wait for the path
  -w, --write FILE        write the capture to FILE (.ipctap)
      --checksum-data     checksum the captured bytes too, not only record headers (slower)
      --lossless          when the disk falls behind, slow the traffic instead of dropping
                          captured data (default: forwarding goes on, the gap is recorded)
      --no-direct-io      write the capture through the page cache (default: whole 1 MiB
                          blocks with O_DIRECT where the file system allows it; docs/cli.md)
  -d, --decode PROTO[@TAP] decoder for all taps, or for one tap (repeatable; default auto;
                          'stdio' names the launched process's streams)
      --proto FILE        .proto file(s) for protobuf and gRPC bodies (repeatable): gRPC
                          messages are typed by their method; protobuf needs --proto-type
      --proto-type TYPE   the message type of --decode protobuf frames, e.g. pkg.Msg
      --show-secrets      show credentials as sent (ZMTP PLAIN, HTTP/2 authorization/cookie
                          headers, secret-named gRPC metadata); default masked as •••• (N bytes)
      --json              JSON Lines on stdout (docs/json-lines.md); the child's output is
                          not passed through
  -q, --quiet             print no frames (capture only)
      --stats             decode everything and print a per-connection summary on exit
                          (with -q: decode quietly)
      --show-stdio        in text mode, also print the frames of the child's own streams
      --cwd DIR           working directory for COMMAND
  -e, --env NAME=VALUE    extra environment variable (repeatable)
      --group             start COMMAND in its own process group (signals with --group reach
                          its children too)
      --no-stdin          do not pass this terminal's stdin to the child
      --trace             trace all I/O of COMMAND and its children through strace: pipes,
                          socketpairs, sockets, FIFOs (tap 'trace'), signals they receive
      --trace-files       with --trace: include regular files, ttys and the like
      --trace-all-cpus    with --trace: leave the program on all its CPUs (by default it and
                          strace share one while traced: ptrace is several times faster so)`,
  proxy: `Usage: ipctap proxy --tap SPEC [--tap SPEC...] [options]

Tap endpoints without launching anything, until Ctrl-C (takeovers are undone on exit).

  -t, --tap SPEC          endpoint to tap (repeatable; see 'ipctap help')
  -w, --write FILE        write the capture to FILE
      --checksum-data     checksum the captured bytes too, not only record headers (slower)
      --lossless          when the disk falls behind, slow the traffic instead of dropping
                          captured data (default: forwarding goes on, the gap is recorded)
      --no-direct-io      write the capture through the page cache (default: whole 1 MiB
                          blocks with O_DIRECT where the file system allows it; docs/cli.md)
  -d, --decode PROTO[@TAP]
      --show-secrets      show credentials as sent (default masked, see 'ipctap help run')
      --json              JSON Lines on stdout
  -q, --quiet             print no frames
      --stats             decode everything and print a per-connection summary on exit`,
  attach: `Usage: ipctap attach PID [--json] [--tap SPEC...] [--trace [--trace-files] [--trace-all-cpus]] [-w FILE] [--decode PROTO]

Without --tap or --trace: list the process's endpoints (Unix sockets, TCP, pipes, FIFOs) and
their peers.
With --tap: take over those listening endpoints; connections opened from then on are captured
(connections that are already open are not: they keep talking directly).
With --trace: trace all I/O of the process, its threads and later children through strace,
already-open connections included (each marked as joined mid-stream), and the signals it
receives, until Ctrl-C; strace then detaches and the process keeps running.

  -t, --tap SPEC          take over a listening endpoint (repeatable; see 'ipctap help')
      --trace             trace all I/O of the process (see above)
      --trace-files       with --trace: include regular files, ttys and the like
      --trace-all-cpus    with --trace: leave the process on all its CPUs (by default it and
                          strace share one while traced; its CPUs are given back on detach)
  -w, --write FILE        write the capture to FILE
      --checksum-data     checksum the captured bytes too, not only record headers (slower)
      --lossless          when the disk falls behind, slow the traffic instead of dropping
                          captured data
      --no-direct-io      write the capture through the page cache
  -d, --decode PROTO[@TAP] decoder for all taps, or for one tap (repeatable; default auto)
      --proto FILE        .proto file(s) for protobuf and gRPC bodies (repeatable)
      --proto-type TYPE   the message type of --decode protobuf frames, e.g. pkg.Msg
      --show-secrets      show credentials as sent (default masked, see 'ipctap help run')
      --json              the endpoint list, or the traffic as JSON Lines, on stdout
  -q, --quiet             print no frames (capture only)
      --stats             decode everything and print a per-connection summary on exit`,
  read: `Usage: ipctap read FILE [options]

Print the frames and events of a capture file, decoding it again.

  -d, --decode PROTO[@TAP] decode with another decoder
      --proto FILE        .proto file(s) for protobuf/gRPC bodies (repeatable)
      --proto-type TYPE   message type for --decode protobuf, e.g. pkg.Msg
      --show-secrets      show credentials as sent (default masked, see 'ipctap help run')
      --json              JSON Lines
  -f, --follow            keep reading as the file grows (a capture still being written)
      --conn N            only connection N (repeatable)
      --stats             instead of the frames, one table: per connection the protocols,
                          frames and bytes each way, decode errors, pairs, median latency
      --flow              instead of the frames, a sequence diagram: a lifeline per process,
                          an arrow per frame, signals and exits as marks
      --svg FILE          with --flow: write it as SVG to FILE
      --all               with --flow: also transport frames (type definitions, settings)
      --by method         with --stats: per RPC method (net/rpc, JSON-RPC/LSP/DAP, gRPC) the
                          calls, errors, latency p50/p90/p99/max and a latency histogram
                          (--json: one {"type":"method-stats","methods":[…]} line)`,
  replay: `Usage: ipctap replay FILE --conn N --to ENDPOINT [options] [-- CMD ARGS... with --to exec]

Open a fresh connection to ENDPOINT (unix:PATH, tcp:HOST:PORT, fifo:PATH, or exec with a command
after --: a fresh process, written on its stdin and answering on its stdout), send connection N's
client-to-server frames in order, waiting before each for the server to have answered as much as
it had in the original; then compare each response frame with the original.
Exit code 0 when every response matched, 3 when any differed or was missing.

      --conn N            the captured connection to replay
      --from ID           start at frame ID (the # column of 'ipctap read'; a reply starts at
                          its request); only the server frames after it are compared
      --to ENDPOINT       where to send it
      --timeout MS        how long to wait for the server before each frame (default 5000)
      --pace original     reproduce the original gaps instead of waiting for responses
  -d, --decode PROTO      decoder used to cut frames (default: as captured)
  -w, --write FILE        capture the new exchange
      --json              JSON Lines`,
  signal: `Usage: ipctap signal PID SIGNAL [--group]
       ipctap signal --list

Send SIGNAL (name like SIGUSR1 or USR1, or a number) to PID. If a running ipctap session launched
PID, the signal goes through that session and is recorded there.

      --group             send to PID's process group
  -l, --list              print the signal names and numbers this machine knows`,
  restore: `Usage: ipctap restore

Put back every socket and FIFO that an ipctap which is no longer running left renamed
(every ipctap command also does this when it starts).`,
  send: `Usage: ipctap send FILE --frame ID --to ENDPOINT (--edit | --value JSON | --hex HEX) [options]
       ipctap send FILE --frame ID --to exec (--edit | --value JSON | --hex HEX) [options] -- CMD [ARGS...]

Send connection N's client frames up to frame ID on a fresh connection to ENDPOINT (unix:PATH,
tcp:HOST:PORT, fifo:PATH; exec, or exec:["CMD","ARG",...]: a fresh CMD, written on its stdin,
answering on its stdout, e.g. a language server with --stdio, stopped afterwards), with frame ID
replaced: --value is its decoded value, edited (JSON-RPC/LSP, MessagePack, Go gob and net/rpc,
ZeroMQ, protobuf, lines, and length framings around them are encoded back in the same protocol;
64-bit integers exact), --hex is raw bytes for any protocol. The frames before it are sent as
captured, so what the protocol sets up first is there (an LSP initialize with this process's pid
as processId).
A gRPC request message is sent as a new call on a fresh HTTP/2 connection, with the call's other
request messages (client or bidi streaming) as captured, each after as many of the server's
answers as in the capture, within the server's flow-control windows. Then the server's answers
(for gRPC: until the trailers) are compared with the original ones. Exit 0 when they are the
same, 3 when they differ or a message was left unsent (the server stopped answering, ended the
call, reset it or closed the connection first: a note says which; --json's editedSent says
whether the edited message went).

      --edit              open the frame's decoded value (or its bytes as hex) in $VISUAL,
                          $EDITOR or vi; what you save is sent once the editor exits
      --value-file FILE   the edited value's JSON from FILE (- for stdin), for one too large
                          for the command line
      --proto FILE        .proto files: a gRPC message is encoded by its method's request type
      --proto-type TYPE   with --proto: a protobuf frame (e.g. -d len32be+protobuf) is edited by
                          its field names and encoded as TYPE
      --timeout MS        how long to wait for the server (default 5000)
  -w, --write FILE        capture the exchange
      --json              one {"type":"send-result",…} object`,
  diff: `Usage: ipctap diff A.ipctap B.ipctap [options]

Compare two captures' conversations. Connections pair up by tap in the order they carried data
(--conn N:M pairs connection N of A with M of B); within each, messages are aligned per direction
by method (or protocol) so that one added or missing shows as such, and matched messages are
compared on their decoded values: each difference as a path with the old and new value. Then the
p50 latency per RPC method on each side. Exit 0 when the same, 3 when different.

      --conn N[:M]        compare connection N of A with connection M of B (default M = N)
      --all               list the messages that are the same too
      --json              one {"type":"diff",…} object
  -d, --decode PROTO[@TAP] decode both with another decoder
      --proto FILE        .proto file(s) for protobuf/gRPC bodies`,
  export: `Usage: ipctap export FILE --pcapng OUT.pcapng

Write every connection of the capture as a TCP conversation on 127.0.0.1 (a synthetic handshake,
its bytes as segments with correct sequence numbers, FIN or RST at its end), for Wireshark and
tshark. TCP taps keep their ports; Unix sockets, FIFOs, pipes and stdio get a port pair per tap
and connection, printed on stderr and named in each packet's comment with the pids. In
Wireshark, "Decode As" the server port (e.g. HTTP/2 for gRPC).`,
  shm: `Usage: ipctap shm list [--json]
       ipctap shm watch TARGET [options]

shm list: System V segments (key, id, size, owner, creator and last pid, attach count), POSIX
shared memory (/dev/shm) and other shared mappings (mmap MAP_SHARED), each with the processes
that have it mapped (pid, name, address), from /proc.

shm watch: read TARGET every --interval ms and record one frame per change, holding the changed
byte ranges with their old and new bytes (a session like any other: -w, --json, 'ipctap read').
TARGET is a System V key (0x1234abcd, or key:N) or id (a decimal number, or id:N), a file
(/dev/shm/NAME or any mmap'd file, read directly), or PID:ADDR (the mapping at hex ADDR in PID).
A System V segment is read through /proc/PID/mem of a process that has it attached (found in
/proc/*/maps); that needs the right to ptrace it (same user, or root; Yama ptrace_scope 0).

      --interval MS       time between snapshots (default 50)
      --region OFF:LEN    watch only LEN bytes at OFF (decimal or 0x hex)
      --layout FIELDS     decode the region as a struct: "u32 counter, u64 ts, char[16] name";
                          types u8 u16 u32 u64 i8 i16 i32 i64 f32 f64 (little-endian; suffix be
                          for big-endian, e.g. u32be), char[N], bytes[N], pad[N], TYPE[N] arrays;
                          fields are packed in order (write the padding a C or Go struct has)
  -d, --decode PROTO      decode the region's contents with a decoder, e.g. len32le+msgpack
                          (--layout and --decode need a region of at most 1 MiB)
  -w, --write FILE        write the capture to FILE
      --json              JSON Lines on stdout
  -q, --quiet             print no frames

What cannot be seen: a change that is undone before the next snapshot, and the order of changes
within one interval (they are merged into one frame). ZeroMQ inproc:// is memory inside one
process: no tap sees it. The watch ends by itself when the segment is removed, the file
unlinked, or the process exits.`,
  decoders: `Usage: ipctap decoders

List the decoders that --decode accepts.`,
};
