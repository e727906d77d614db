/* drumforge report: a short run (evaluated at every checkpoint, then by drumforge eval) gets
 * its report; the page, curves (SVG) and spectrograms (PNG) are written, and headless
 * Chromium (Debian's chromium; the test is skipped with 77 when it is missing) loads the page
 * from the file system without console errors or broken images, finds every audio player's
 * file, and saves a screenshot (tests/scratch/report_render/screenshot.png). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "common/train_fixture.h"
#include "drumforge/audio.h"
#include "drumforge/eval.h"
#include "drumforge/fileio.h"

static char scratch[4096], dataset[4200], run[4300];

static int count_files(const char *dir, const char *suffix) {
  DIR *dp = opendir(dir);
  int n = 0;
  struct dirent *e;
  while (dp && (e = readdir(dp)))
    if (strlen(e->d_name) > strlen(suffix) && !strcmp(e->d_name + strlen(e->d_name) - strlen(suffix), suffix)) n++;
  if (dp) closedir(dp);
  return n;
}

static int count(const char *text, const char *needle) {
  int n = 0;
  for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static int run_cmd(const char *cmd) {
  printf("     $ %s\n", cmd);
  return system(cmd);
}

static void on_log(void *ctx, const char *line) {}

/* A short evaluated run: classifier, 4 steps with checkpoints and evaluation at 2 and 4. */
static int make_run(void) {
  df_classifier_options co = {0};
  co.dataset = dataset;
  co.device = DF_DEVICE_CPU;
  co.steps = 30;
  co.log = on_log;
  df_classifier *c;
  if (!df_expect_ok(df_classifier_open(&co, &c), "classifier")) return 0;
  df_classifier_close(c);
  static const char *const replace[] = {"train.steps=4", "train.checkpoint_every_steps=2", "train.preview_count=4",
                                        "train.eval_every_checkpoint=true", "train.eval_count=16", NULL};
  char config[4200];
  if (df_test_write_smoke_config(scratch, "run", replace, config, sizeof config)) return 0;
  snprintf(run, sizeof run, "%s/run", scratch);
  df_train_options o = {0};
  o.config_path = config;
  o.data_path = dataset;
  o.run_dir = run;
  o.device = DF_DEVICE_CPU;
  df_train_result res;
  if (!df_expect_ok(df_train_run(&o, &res), "train a short evaluated run")) return 0;
  char cmd[9000];
  snprintf(cmd, sizeof cmd, "'%s' eval --run '%s' --data '%s' --count 16 --device cpu > /dev/null 2>&1", DF_DRUMFORGE_EXE,
           run, dataset);
  return df_expect_true(run_cmd(cmd) == 0, "drumforge eval");
}

/* A run whose metrics.jsonl has names that are markup or paths, and series of one point: the
 * names are shown as text (escaped in the page and in well-formed SVGs), every chart stays in
 * curves/, and a one-point chart names its one step. odd receives the report's folder. */
static void odd_metrics(char *odd, size_t len) {
  char dir[4300], path[4500], cmd[9000], *text = NULL, *svg = NULL;
  size_t n;
  snprintf(dir, sizeof dir, "%s/odd", scratch);
  snprintf(odd, len, "%s/report", dir);
  df_mkdirs(dir);
  snprintf(path, sizeof path, "%s/config.ini", dir);
  df_test_write_text(path, "[model]\ntype = wavegan\n");
  snprintf(path, sizeof path, "%s/metrics.jsonl", dir);
  df_test_write_text(path, "{\"step\": 1, \"<script>\": 0.5, \"a\\\"b\": 1, \"&\": 2, \"../../escape\": 3, \"loss_g\": 0.25}\n"
                           "{\"step\": 2, \"&\": 3, \"../../escape\": 4}\n");
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s' > /dev/null", DF_DRUMFORGE_EXE, dir);
  if (!df_expect_true(run_cmd(cmd) == 0, "a report of metrics named <script>, a\"b, & and ../../escape")) return;
  snprintf(path, sizeof path, "%s/index.html", odd);
  if (df_expect_ok(df_read_file(path, &text, &n), "read its page")) {
    df_expect_true(!strstr(text, "<script>") && strstr(text, "alt=\"&lt;script&gt; over") &&
                       strstr(text, "alt=\"a&quot;b over") && strstr(text, "alt=\"&amp; over"),
                   "the metric names are escaped in the page");
  }
  /* An eval.json edited by hand: class names that are markup, rows short or not arrays. */
  snprintf(path, sizeof path, "%s/eval.json", dir);
  df_test_write_text(path, "{\"step\": 2, \"class_names\": [\"kick\", \"<b>\"], "
                           "\"conditioning\": {\"accuracy\": 0.5, \"confusion\": [[1], 3]}}");
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s' > /dev/null", DF_DRUMFORGE_EXE, dir);
  free(text);
  text = NULL;
  snprintf(path, sizeof path, "%s/index.html", odd);
  if (df_expect_true(run_cmd(cmd) == 0, "an eval.json with a short confusion row and a class named <b>") &&
      df_expect_ok(df_read_file(path, &text, &n), "read its page"))
    df_expect_true(strstr(text, "<th>&lt;b&gt;</th>") && !strstr(text, "<b>"), "... is shown, the class name escaped");
  snprintf(path, sizeof path, "%s/curves", odd);
  df_expect_true(count_files(path, ".svg") == 5 && !count_files(dir, ".svg") && !count_files(scratch, ".svg"),
                 "one chart per metric, all in curves/ (../../escape too)");
  snprintf(cmd, sizeof cmd, "python3 -c 'import sys, xml.dom.minidom as m; [m.parse(f) for f in sys.argv[1:]]' '%s'/*.svg",
           path);
  df_expect_true(run_cmd(cmd) == 0, "every chart is well-formed SVG");
  snprintf(path, sizeof path, "%s/curves/loss_g.svg", odd);
  if (df_expect_ok(df_read_file(path, &svg, &n), "read a one-point chart"))
    df_expect_true(strstr(svg, ">step 1<") && !strstr(svg, "step 2") && strstr(svg, ">0.25<") && !strstr(svg, "1.25"),
                   "a chart of one point names its step and value only (not step 2)");
  /* Previews of a class named with URL characters (space, #, ?, %) and markup: its file's
   * URLs (player, spectrogram) are percent-encoded, its name in the text escaped. */
  char step_dir[4400], wav[4600];
  snprintf(step_dir, sizeof step_dir, "%s/previews/step-000000002", dir);
  df_mkdirs(step_dir);
  float tone[256];
  for (int i = 0; i < 256; i++) tone[i] = 0.5f * sinf(0.2f * (float)i);
  const df_audio a = {tone, 256, 1, 16000};
  snprintf(wav, sizeof wav, "%s/00_hi hat#1?50%%&<x>.wav", step_dir);
  df_expect_ok(df_audio_write(wav, &a, DF_AUDIO_PCM16), "a preview of class 'hi hat#1?50%&<x>'");
  free(text);
  text = NULL;
  snprintf(path, sizeof path, "%s/index.html", odd);
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s' > /dev/null", DF_DRUMFORGE_EXE, dir);
  if (df_expect_true(run_cmd(cmd) == 0, "a report with that preview") &&
      df_expect_ok(df_read_file(path, &text, &n), "read its page")) {
    df_expect_true(strstr(text, "src=\"../previews/step-000000002/00_hi%20hat%231%3F50%25%26%3Cx%3E.wav\"") != NULL,
                   "the player's URL is percent-encoded");
    df_expect_true(strstr(text, "src=\"mel/step-000000002-00_hi%20hat%231%3F50%25%26%3Cx%3E.png\"") != NULL,
                   "the spectrogram's URL is percent-encoded");
    df_expect_true(strstr(text, "<span>00_hi hat#1?50%&amp;&lt;x&gt;.wav</span>") && !strstr(text, "<x>"),
                   "the file name in the text is escaped");
  }
  snprintf(path, sizeof path, "%s/mel/step-000000002-00_hi hat#1?50%%&<x>.png", odd);
  df_expect_true(access(path, F_OK) == 0, "the spectrogram is written under the name its URL encodes");
  free(text);
  free(svg);
}

int main(void) {
  df_test_begin("test_report_render");
  df_test_scratch_dir("report_render", scratch, sizeof scratch);
  if (df_test_make_dataset(scratch, 40, 1.0, dataset, sizeof dataset) || !make_run()) {
    df_test_fail("evaluated run", "could not be made");
    return df_test_finish();
  }
  char cmd[9000], path[4500], report[4400];
  snprintf(report, sizeof report, "%s/report", run);
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s' --data '%s' > /dev/null", DF_DRUMFORGE_EXE, run, dataset);
  if (!df_expect_true(run_cmd(cmd) == 0, "drumforge report exits 0")) return df_test_finish();
  snprintf(path, sizeof path, "%s/index.html", report);
  df_expect_true(access(path, F_OK) == 0, "index.html is written");
  snprintf(path, sizeof path, "%s/curves", report);
  int svgs = count_files(path, ".svg");
  snprintf(path, sizeof path, "%s/mel", report);
  int pngs = count_files(path, ".png");
  printf("     %d curves, %d spectrograms\n", svgs, pngs);
  df_expect_true(svgs >= 6, "an SVG curve per metric (losses and eval_*)");
  df_expect_true(pngs >= 5, "PNG spectrograms of the 4 newest previews and of real examples");
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s/nothing-here' 2> /dev/null", DF_DRUMFORGE_EXE, scratch);
  df_expect_true(run_cmd(cmd) != 0, "a missing run folder is an error");
  /* Refused, writing nothing: a folder that is not a run, a run whose eval.json is broken, a
   * --data that is not a dataset. */
  char fake[4400];
  snprintf(fake, sizeof fake, "%s/fake", scratch);
  df_mkdirs(fake);
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s' 2> /dev/null", DF_DRUMFORGE_EXE, fake);
  df_expect_true(run_cmd(cmd) == 256, "a folder without config.ini is not a run: exit 1");
  snprintf(path, sizeof path, "%s/config.ini", fake);
  df_test_write_text(path, "[model]\ntype = wavegan\n");
  snprintf(path, sizeof path, "%s/eval.json", fake);
  df_test_write_text(path, "{\"frechet_distance\": 1.5,");
  snprintf(cmd, sizeof cmd,
           "out=$('%s' report --run '%s' 2>&1); [ \"$(printf '%%s\\n' \"$out\" | wc -l)\" = 1 ] && "
           "printf '%%s' \"$out\" | grep -q 'eval.json: not valid JSON'", DF_DRUMFORGE_EXE, fake);
  df_expect_true(run_cmd(cmd) == 0, "a broken eval.json is a one-line error naming it");
  snprintf(cmd, sizeof cmd, "'%s' report --run '%s' --data '%s/no-dataset' 2> /dev/null", DF_DRUMFORGE_EXE, run, scratch);
  df_expect_true(run_cmd(cmd) == 256, "--data naming no dataset: exit 1");
  snprintf(path, sizeof path, "%s/report", fake);
  df_expect_true(access(path, F_OK) != 0, "the refused reports wrote nothing");

  char odd[4400];
  odd_metrics(odd, sizeof odd);

  if (system("command -v chromium > /dev/null 2>&1") != 0) {
    printf("SKIP chromium is not installed (apt-get install chromium): the page was not rendered\n");
    int rc = df_test_finish();
    return rc ? rc : 77;
  }
  /* As root (CI) Chromium needs --no-sandbox; the profile lives in the scratch folder. */
  const char *flags = "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
                      "--enable-logging=stderr --v=0 --virtual-time-budget=5000";
  char dom[4500], log[4500], shot[4500];
  snprintf(dom, sizeof dom, "%s/dom.html", scratch);
  snprintf(log, sizeof log, "%s/chromium.log", scratch);
  snprintf(shot, sizeof shot, "%s/screenshot.png", scratch);
  snprintf(cmd, sizeof cmd, "timeout 120 chromium %s --user-data-dir='%s/profile' --dump-dom 'file://%s/index.html' > '%s' 2> '%s'",
           flags, scratch, report, dom, log);
  df_expect_true(run_cmd(cmd) == 0, "chromium loads the page");
  char *text = NULL, *errors = NULL, *odd_dom = NULL;
  size_t len;
  if (df_expect_ok(df_read_file(dom, &text, &len), "read the rendered DOM")) {
    df_expect_true(strstr(text, "<h1>drumforge report</h1>") != NULL, "the rendered page is the report");
    int imgs = count(text, "<img "), audios = count(text, "<audio ");
    printf("     rendered: %d images, %d audio players\n", imgs, audios);
    df_expect_true(imgs >= svgs + pngs, "every curve and spectrogram is on the page");
    df_expect_true(count(text, "class=\"missing\"") == 0, "no image failed to load");
    df_expect_true(audios >= 8, "audio players for the previews of both checkpoints");
    int found = 1;
    for (const char *p = strstr(text, "<audio "); p; p = strstr(p + 1, "<audio ")) {
      const char *src = strstr(p, "src=\"");
      if (!src) continue;
      char rel[1024];
      snprintf(rel, sizeof rel, "%.*s", (int)(strchr(src + 5, '"') - src - 5), src + 5);
      snprintf(path, sizeof path, "%s/%s", report, rel);
      if (access(path, F_OK) != 0) {
        printf("     missing audio: %s\n", path);
        found = 0;
      }
    }
    df_expect_true(found, "every audio player's file exists");
  }
  snprintf(cmd, sizeof cmd, "timeout 120 chromium %s --user-data-dir='%s/profile' --dump-dom 'file://%s/index.html' > '%s' 2> /dev/null",
           flags, scratch, odd, dom);
  if (df_expect_true(run_cmd(cmd) == 0, "chromium loads the page of odd metric names") &&
      df_expect_ok(df_read_file(dom, &odd_dom, &len), "read its DOM"))
    df_expect_true(count(odd_dom, "<img ") == 6 && count(odd_dom, "class=\"missing\"") == 0 &&
                       strstr(odd_dom, "alt=\"a&quot;b over the steps\"") && !strstr(odd_dom, "</script>"),
                   "... its 5 charts and the spectrogram of class 'hi hat#1?50%&<x>' load, named as written (a\"b), "
                   "no script element");
  free(odd_dom);
  if (df_expect_ok(df_read_file(log, &errors, &len), "read chromium's log"))
    df_expect_true(!strstr(errors, "Uncaught") && !strstr(errors, ":CONSOLE") , "no console errors or messages");
  free(text);
  free(errors);
  snprintf(cmd, sizeof cmd, "timeout 120 chromium %s --user-data-dir='%s/profile' --hide-scrollbars --window-size=1280,2600 "
           "--screenshot='%s' 'file://%s/index.html' > /dev/null 2>&1", flags, scratch, shot, report);
  struct stat sb;
  df_expect_true(run_cmd(cmd) == 0 && stat(shot, &sb) == 0 && sb.st_size > 20000, "a screenshot is saved");
  printf("     screenshot: %s\n", shot);
  return df_test_finish();
}
