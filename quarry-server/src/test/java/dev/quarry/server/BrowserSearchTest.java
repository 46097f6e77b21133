package dev.quarry.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A person's view: headless Chromium (Debian's chromium + chromium-driver, installed by .ci/run)
 * opens the page, types a question, submits, and sees the answering passage with marked terms.
 */
@Tag("slow") // real models at size, servers, fine-tunes: left out of the fast tier (-Pfast)
class BrowserSearchTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir Path tmp;

  private ChromeDriver browser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--window-size=1200,1000", "--user-data-dir=" + tmp.resolve("chrome-profile"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER.toString()))
        .usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  @Test
  void withARerankerTheFirstStageShowsWhileTheCrossEncoderWorks() throws Exception {
    dev.quarry.TestRequirements.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "browser test skipped: install Debian's chromium and chromium-driver (.ci/run does)");
    dev.quarry.rerank.CrossEncoder ce = dev.quarry.rerank.CrossEncoder.load(dev.quarry.model.CrossEncoderFolder.read(
        dev.quarry.TestModels.crossEncoder(tmp.resolve("ce"), 1, null), "ce", tmp.resolve("cache")),
        dev.quarry.encode.RuntimeOptions.defaults());
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"), ServerConfig.defaults().withToken(ServerFixture.TOKEN),
        new dev.quarry.search.Reranker(ce, 50))) {
      ChromeDriver driver = browser();
      try {
        driver.get(f.server.url());
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("about"), "reranked by ce"));
        // Every text the status line shows, in order.
        driver.executeScript("window.statusLog = []; new MutationObserver(() => window.statusLog.push("
            + "document.getElementById('status').textContent)).observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true});");
        driver.findElement(By.id("q")).sendKeys("Why warm up the learning rate?");
        driver.findElement(By.id("go")).click();
        new WebDriverWait(driver, Duration.ofSeconds(60)).until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"),
            "reranked by ce"));
        @SuppressWarnings("unchecked")
        List<String> log = (List<String>) driver.executeScript("return window.statusLog;");
        assertTrue(log.stream().anyMatch(t -> t.contains("reranking with ce…")), "progress while reranking: " + log);
        List<WebElement> hits = driver.findElements(By.cssSelector("li.hit"));
        assertEquals(5, hits.size());
        assertTrue(hits.get(0).findElement(By.cssSelector(".score")).getText().startsWith("rerank "), "both stages' scores shown");
      } finally {
        driver.quit();
        ce.close();
      }
    }
  }

  /** A file as a source, its text given here (quarry-documents reads real files; the page only needs where a chunk lies). */
  record GivenFile(String id, String path, String title, String text, int[] pageStarts) implements dev.quarry.index.SourceSync.Source {
    @Override
    public long size() {
      return text.length();
    }

    @Override
    public long mtime() {
      return 1;
    }

    @Override
    public String sha256() {
      return Integer.toHexString(text.hashCode());
    }

    @Override
    public dev.quarry.index.SourceSync.Extracted extract() {
      return new dev.quarry.index.SourceSync.Extracted(title, text, pageStarts);
    }
  }

  @Test
  void overDocumentsThePageShowsPathTitlePageAndOneResultPerDocument() throws Exception {
    dev.quarry.TestRequirements.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "browser test skipped: install Debian's chromium and chromium-driver (.ci/run does)");
    var model = ServerFixture.model();
    String page1 = "Vector search manual. HNSW builds a layered proximity graph; searches descend from the sparsest layer.\n\n";
    String page2 = "Key rotation. Rotate the signing keys every ninety days and revoke the old ones at once.";
    List<dev.quarry.index.SourceSync.Source> files = List.of(
        new GivenFile("ops/manual.pdf", "/srv/docs/ops/manual.pdf", "Operations manual", page1 + page2, new int[] {0, page1.length()}),
        new GivenFile("notes.md", "/srv/docs/notes.md", "Notes", "Lunch is at noon on Fridays.", new int[0]));
    dev.quarry.index.lucene.LuceneIndex index = dev.quarry.index.lucene.LuceneIndex.open(tmp.resolve("index"),
        dev.quarry.index.CorpusIndexer.metadataOf(model), dev.quarry.index.IndexSettings.defaults());
    dev.quarry.index.SourceSync.sync(index, files, List.of(), new dev.quarry.chunk.Chunker(model.documentTokenizer(), 24, 4),
        texts -> model.encodeDocuments(texts, dev.quarry.encode.EncodeOptions.defaults()), dev.quarry.index.SourceSync.Options.defaults(), null);
    try (ServerFixture f = new ServerFixture(index, tmp.resolve("index"), ServerConfig.defaults())) {
      ChromeDriver driver = browser();
      try {
        driver.get(f.server.url() + "?q=how+often+should+keys+be+rotated&mode=dense&k=5");
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("li.hit"), 2)); // two documents, however many chunks
        assertTrue(driver.findElement(By.id("about")).getText().contains("chunks of your documents"), driver.findElement(By.id("about")).getText());
        WebElement top = driver.findElements(By.cssSelector("li.hit")).get(0);
        assertEquals("Operations manual", top.findElement(By.cssSelector(".title")).getText());
        assertEquals("/srv/docs/ops/manual.pdf · page 2", top.findElement(By.cssSelector(".id")).getText());
        assertTrue(top.findElement(By.cssSelector(".text")).getText().contains("Rotate the signing keys"));
        assertTrue(driver.findElement(By.id("status")).getText().startsWith("2 documents"), driver.findElement(By.id("status")).getText());
      } finally {
        driver.quit();
      }
    }
  }

  @Test
  void aPersonTypesAQuestionAndSeesTheAnsweringPassage() throws Exception {
    dev.quarry.TestRequirements.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "browser test skipped: install Debian's chromium and chromium-driver (.ci/run does)");
    try (ServerFixture f = new ServerFixture(tmp.resolve("index"))) {
      ChromeDriver driver = browser();
      try {
        driver.get(f.server.url());
        WebElement box = driver.findElement(By.id("q"));
        box.sendKeys("Which variant of Adam applies weight decay directly to the weights?");
        driver.findElement(By.id("go")).click();
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("li.hit")));
        List<WebElement> hits = driver.findElements(By.cssSelector("li.hit"));
        assertEquals(5, hits.size());
        assertEquals("adamw", hits.get(0).getAttribute("data-id"));
        assertTrue(hits.get(0).findElement(By.cssSelector(".title")).getText().contains("AdamW"));
        List<WebElement> marks = hits.get(0).findElements(By.tagName("mark"));
        assertTrue(marks.stream().anyMatch(m -> m.getText().toLowerCase().startsWith("weight")
            || m.getText().toLowerCase().startsWith("decay") || m.getText().toLowerCase().startsWith("adam")),
            "matching terms are marked");
        Path shot = Path.of("target", "browser-search.png");
        Files.write(shot, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));

        // The page says what it searches, and the address now holds the search: shareable, and the back button returns to it.
        assertTrue(driver.findElement(By.id("about")).getText().contains("Searching 183 passages with " + ServerFixture.MINILM),
            driver.findElement(By.id("about")).getText());
        assertTrue(driver.getCurrentUrl().contains("?q=Which+variant+of+Adam"), driver.getCurrentUrl());
        WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30));
        box = driver.findElement(By.id("q"));
        box.clear();
        box.sendKeys("zzqxv qqvvzz");
        new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("mode"))).selectByValue("bm25");
        driver.findElement(By.id("go")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("status"), "No passages match"));
        assertTrue(driver.findElements(By.cssSelector("li.hit")).isEmpty());
        assertTrue(driver.getCurrentUrl().contains("mode=bm25"), driver.getCurrentUrl());
        driver.navigate().back();
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("li.hit"), 5));
        assertEquals("Which variant of Adam applies weight decay directly to the weights?", driver.findElement(By.id("q")).getAttribute("value"));
        assertEquals("adamw", driver.findElements(By.cssSelector("li.hit")).get(0).getAttribute("data-id"));
        // A shared link opens on its results.
        driver.get(f.server.url() + "?q=dropout+regularization&mode=hybrid&k=10");
        wait.until(ExpectedConditions.numberOfElementsToBe(By.cssSelector("li.hit"), 10));
        assertEquals("hybrid", driver.findElement(By.id("mode")).getAttribute("value"));
      } finally {
        driver.quit();
      }
    }
  }
}
