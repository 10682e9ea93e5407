//! POSIX regular expressions as Yate compiles them.
