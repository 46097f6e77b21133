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
