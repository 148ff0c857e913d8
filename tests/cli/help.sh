# Help and version.
. "$TOP/tests/lib.sh"

run "$CARDSTRAP" --help
expect_rc 0 "--help"
expect_in out "Usage: cardstrap SUBCOMMAND"
expect_in out "decode"
expect_in out "encode"

run "$CARDSTRAP" help decode
expect_rc 0 "help decode"
expect_in out "Usage: cardstrap decode"

run "$CARDSTRAP" decode --help
expect_rc 0 "decode --help"
expect_in out "Usage: cardstrap decode"

run "$CARDSTRAP" help nosuch
expect_rc 64 "help nosuch"
expect_in err "no subcommand 'nosuch'"

run "$CARDSTRAP" --version
expect_rc 0 "--version"
expect_in out "cardstrap 0."

run "$CARDSTRAP"
expect_rc 64 "no subcommand"
expect_in err "Usage: cardstrap"
