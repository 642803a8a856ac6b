# tslima doctor mounts without python3 (perl-base): fcntl lock and unix socket; no mmap.
# Run by doctor-probe.sh as `perl -e THIS DIR`.
use strict; use Fcntl; my $d = shift;
if (sysopen(my $fh, "$d/fl", O_RDWR | O_CREAT, 0644)) {
  my $lk = pack("s s x4 q q i x4", F_WRLCK, 0, 0, 0, 0);
  if (fcntl($fh, F_SETLK, $lk)) { print "fcntl\tok\t\n" } else { print "fcntl\tfail\t$!\n" }
} else { print "fcntl\tfail\t$!\n" }
print "mmap\tskip\tnot tested (no python3; perl cannot mmap)\n";
if (eval { require Socket; 1 }) {
  my $s; if (socket($s, Socket::PF_UNIX(), Socket::SOCK_STREAM(), 0) && bind($s, Socket::pack_sockaddr_un("$d/sock"))) { print "socket\tok\t\n" } else { print "socket\tfail\t$!\n" }
} else { print "socket\tskip\tnot tested (no python3, perl without Socket)\n" }
