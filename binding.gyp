{
  "targets": [
    {
      "target_name": "aosiq_scan",
      "sources": ["src/security/untrusted/native/scan.c", "src/security/untrusted/native/args.c", "src/security/untrusted/native/signs.c", "src/security/untrusted/native/words.c", "src/security/untrusted/native/runs.c", "src/security/untrusted/native/follow.c", "src/security/untrusted/native/units.c"],
      "cflags": ["-O3", "-Wall", "-Wextra", "-fvisibility=hidden"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3"] }
    }
  ]
}
