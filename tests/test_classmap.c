/* The drum-class table: the shipped data/drum_classes.tsv maps the instrument names of
 * data.md's table (and the kit fixes of data/README.md) to their classes; first match wins;
 * kit-scoped rules apply to their kit only; bad tables (also class names a --classes list
 * could not select, or 'unlabelled') are refused naming file and line. */
#include <stdlib.h>
#include <string.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "data/classmap.h"

static void expect_class(const classmap *m, const char *kit, const char *name, const char *want) {
  int c = classmap_lookup(m, kit, name, NULL);
  const char *got = c >= 0 ? m->names[c] : c == CLASSMAP_SKIP ? "skip" : "unlabelled";
  char what[256];
  snprintf(what, sizeof what, "'%s'%s%s -> %s", name, kit ? " in " : "", kit ? kit : "", want);
  if (!strcmp(got, want)) df_test_pass(what);
  else df_test_fail(what, "got %s", got);
}

static df_status load_text(const char *dir, const char *name, const char *text, classmap *m) {
  char path[4300];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  df_test_write_text(path, text);
  return classmap_load(path, m);
}

int main(void) {
  df_test_begin("test_classmap");
  char path[4300], dir[4096];
  snprintf(path, sizeof path, "%s/drum_classes.tsv", DF_PROJECT_SOURCE_DIR "/data");
  classmap m;
  if (df_expect_ok(classmap_load(path, &m), "load data/drum_classes.tsv")) {
    static const char *order[] = {"kick", "snare", "rim", "clap", "hh_closed", "hh_open",
                                  "tom", "crash", "ride", "perc", "fx"};
    int ok = m.n_classes == 11;
    for (int c = 0; c < 11 && ok; c++) ok = !strcmp(m.names[c], order[c]);
    df_expect_true(ok, "11 classes with fixed ids, kick = 0 ... fx = 10");
    /* data.md's rules, on names from the Hydrogen kits. */
    static const char *cases[][2] = {
        {"Kick", "kick"}, {"BassDrum", "kick"}, {"c3 - bass drum 1", "kick"}, {"Kick Lite 1", "kick"},
        {"Snare Jazz", "snare"}, {"redo super opaco", "snare"}, {"Snare Rimshot", "snare"},
        {"Snare Roll", "snare"}, {"Pearl Side Stick", "rim"}, {"Rim Click (Pearl)", "rim"},
        {"Stick", "rim"}, {"Hand Clap", "clap"}, {"Finger Snaps", "clap"},
        {"Closed HH", "hh_closed"}, {"Pedal HH", "hh_closed"}, {"Sabian Hat Choke", "hh_closed"},
        {"Hi-Hat Pedal (Paiste)", "hh_closed"}, {"VariBreaks Hat 1 Pd", "hh_closed"},
        {"Open HH", "hh_open"}, {"Hi Hat Opened", "hh_open"}, {"Sabian Hat Semi-Open", "hh_open"},
        {"Sabian Hat Swish", "hh_open"}, {"Hi Hat Free", "hh_open"}, {"Side OHH", "hh_open"},
        {"Hat Op Dirty", "hh_open"}, {"VariBreaks Hat 1 Op", "hh_open"},
        {"Tom Low", "tom"}, {"tomhi2", "tom"}, {"Pearl Tom Floor", "tom"},
        {"Ride (Custom, Zagrebin 22\")", "ride"}, {"Ride Bell", "ride"}, {"Paiste Bell", "ride"},
        {"Crash/Ride Bell", "crash"}, {"China (Paiste Alpha 18\")", "crash"}, {"Cymbal", "crash"},
        {"Zildjian Splash Choke", "crash"}, {"Cowbell", "perc"}, {"Djembe1 Bass", "perc"},
        {"Sangban1 Bell Hit", "perc"}, {"Tambourine Pedal", "perc"}, {"WaterglassHi", "perc"},
        {"Shaker", "perc"}, {"Click", "fx"}, {"Zap 1", "fx"}, {"Drum 1", "fx"}, {"Whistle", "fx"},
        {"17", "skip"}, {"emptySample", "skip"}, {"f#4 - ", "unlabelled"},
        {"Sample: beats_08-37.flac", "unlabelled"}, {"", "unlabelled"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_class(&m, "SomeKit", cases[i][0], cases[i][1]);
    /* Kit fixes apply to their kit only. */
    expect_class(&m, "Audiophob", "Kick", "tom");
    expect_class(&m, "Audiophob", "Pedal HH", "perc");
    expect_class(&m, "Audiophob", "Cowbell", "skip");
    expect_class(&m, "belofilms_GuitarStrums", "Strum 1", "skip");
    expect_class(&m, NULL, "Kick", "kick");
    /* Folders named after a class are that class where no rule matches them ('_' is a word
     * character, so \<hh\> misses hh_closed); a rule still wins over the name. */
    expect_class(&m, NULL, "hh_closed", "hh_closed");
    expect_class(&m, NULL, "HH_OPEN", "hh_open");
    expect_class(&m, "Audiophob", "kick", "tom");
    classmap_free(&m);
  }

  df_test_scratch_dir("classmap", dir, sizeof dir);
  if (df_expect_ok(load_text(dir, "own.tsv",
                             "# mine\nclasses\tboom\tclick\n\nclick\tboom.*click\n"
                             "boom\tboom\nskip\tboom\tnever-reached\nclick\t^x$\tspecial kit\n",
                             &m),
                   "load a table of one's own")) {
    expect_class(&m, NULL, "boom click", "click"); /* first match wins */
    expect_class(&m, NULL, "BOOM", "boom");         /* case-insensitive */
    expect_class(&m, NULL, "x", "unlabelled");
    expect_class(&m, "Special Kit", "x", "click");
    classmap_free(&m);
  }
  static const struct { const char *text, *reason; } bad[] = {
      {"kick\tkick\n", "after the 'classes' line"},
      {"classes\tkick\nsnare\tsnare\n", "bad.tsv:2: class 'snare'"},
      {"classes\tkick\nkick\t(unclosed\n", "bad.tsv:2: bad regular expression"},
      {"classes\tkick\tkick\n", "repeated class name"},
      {"classes\tkick\nkick\n", "bad.tsv:2: want CLASS"},
      {"# nothing\n", "no 'classes' line"},
      /* names a --classes list could not select, or that clash with the unlabelled count */
      {"classes\tkick\tunlabelled\n", "class name 'unlabelled'"},
      {"classes\tkick,snare\n", "has a comma"},
      {"classes\tkick\t snare\n", "begins or ends with a space"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char what[128];
    snprintf(what, sizeof what, "bad table #%zu is refused", i);
    df_expect_status(load_text(dir, "bad.tsv", bad[i].text, &m), DF_ERR_CONFIG, what);
    snprintf(what, sizeof what, "bad table #%zu: message says '%s'", i, bad[i].reason);
    df_expect_true(strstr(df_last_error(), bad[i].reason) != NULL, what);
  }
  return df_test_finish();
}
