package dev.skiff.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skiff.it.cluster.ClusterExtension;
import dev.skiff.it.cluster.ClusterOptions;
import dev.skiff.it.cluster.HttpReply;
import dev.skiff.it.cluster.NodeProcess;
import dev.skiff.it.cluster.ProcessCluster;
import dev.skiff.it.cluster.RawHttp;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI ({@code GET /ui/}) on a live 3-node cluster of processes, in Debian's headless
 * Chromium driven by Selenium: the cluster view shows the leader and the three members with
 * their replication, a key written through the API appears in the key browser, an edit made
 * in the browser is readable through the API, and a stale edit is refused (CAS); under ACLs the
 * page asks for a token and works with it. Screenshots
 * go to {@code target/webui-screenshots/}.
 *
 * <p>Chromium and its driver come from Debian ({@code bin/ensure-chromium} installs them when
 * missing and this runs as root); the browser tests skip, saying why, only where they cannot
 * be installed. Selenium Manager never runs: the driver's path is given explicitly, so nothing
 * is downloaded. The file-serving checks (content types, caching, traversal) need no browser
 * and always run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiIT {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "webui-screenshots");
    static final Duration UI_WAIT = Duration.ofSeconds(20);

    @RegisterExtension
    static final ClusterExtension clusters = ClusterExtension.perClass();

    private static ProcessCluster cluster;
    /** The browser, or null when Chromium is not available (then {@link #whyNoBrowser} says why). */
    private static WebDriver driver;
    private static String whyNoBrowser;

    @BeforeAll
    static void startClusterAndBrowser() throws Exception {
        cluster = clusters.start(3, ClusterOptions.defaults().withFlags(KvApiIT.STEADY));
        whyNoBrowser = ensureChromium();
        if (whyNoBrowser != null) {
            System.out.println("WebUiIT: browser tests skipped: " + whyNoBrowser);
            return;
        }
        // Selenium Manager would look for (and download) a driver; it is never needed here.
        System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(UI_WAIT);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    /**
     * Runs {@code bin/ensure-chromium} when the browser or its driver is missing.
     *
     * @return null when both are there, else why not (the script's message)
     */
    private static String ensureChromium() throws IOException, InterruptedException {
        if (Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER)) {
            return null;
        }
        Path script = Path.of("bin", "ensure-chromium").toAbsolutePath();
        Path log = Files.createTempFile("ensure-chromium", ".log");
        Process p = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return script + " did not finish within 15 minutes (apt-get hanging?); see " + log;
        }
        String output = Files.readString(log);
        if (p.exitValue() != 0) {
            List<String> lines = output.lines().toList();
            return lines.isEmpty() ? script + " exited " + p.exitValue() : lines.getLast();
        }
        return null;
    }

    private static void needBrowser() {
        Assumptions.assumeTrue(driver != null, () -> "no headless Chromium: " + whyNoBrowser);
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(driver, UI_WAIT);
    }

    private static void screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = SCREENSHOTS.resolve(name + ".png");
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        System.out.println("WebUiIT: screenshot " + target.toAbsolutePath());
    }

    @Test
    @Order(1)
    void when_theLeadersUiIsOpened_then_itShowsTheLeaderAndTheThreeMembersWithTheirLag() throws IOException {
        needBrowser();
        NodeProcess leader = cluster.awaitLeader();
        for (int i = 0; i < 20; i++) {
            assertThat(leader.client().put("warmup/k" + i, "v" + i).status()).isEqualTo(200);
        }
        driver.get(leader.apiUrl() + "/ui/");
        waiting().until(ExpectedConditions.textToBe(By.id("leader-id"), leader.id()));
        waiting().until(d -> d.findElements(By.cssSelector("#members tbody tr")).size() == 3);
        for (String id : List.of("n1", "n2", "n3")) {
            WebElement row = driver.findElement(By.cssSelector("#members tr[data-member-id='" + id + "']"));
            List<WebElement> cells = row.findElements(By.tagName("td"));
            assertThat(cells.get(0).getText()).isEqualTo(id.equals(leader.id()) ? "leader" : "follower");
            assertThat(cells.get(2).getText()).isEqualTo("127.0.0.1:" + cluster.node(id).apiPort());
            if (!id.equals(leader.id())) {
                // Match index and lag from the leader's /v1/status followers.
                waiting().until(d -> !row.findElements(By.tagName("td")).get(4).getText().equals("—"));
                assertThat(Long.parseLong(row.findElements(By.tagName("td")).get(4).getText())).isPositive();
            }
        }
        assertThat(driver.findElement(By.id("term")).getText()).isEqualTo(leader.client().status().path("term").asText());
        screenshot("1-cluster");

        // A follower's page shows the same members and points to the leader's page for the lag.
        driver.get(aFollower().apiUrl() + "/ui/");
        waiting().until(ExpectedConditions.textToBe(By.id("leader-id"), leader.id()));
        waiting().until(d -> d.findElements(By.cssSelector("#members tbody tr")).size() == 3);
        WebElement note = driver.findElement(By.id("lag-note"));
        assertThat(note.isDisplayed()).isTrue();
        assertThat(note.findElement(By.tagName("a")).getAttribute("href")).isEqualTo(leader.apiUrl() + "/ui/");
        screenshot("1b-cluster-on-a-follower");
    }

    @Test
    @Order(2)
    void when_aKeyIsWrittenThroughTheApi_then_theKeyBrowserShowsIt() throws IOException {
        needBrowser();
        NodeProcess follower = aFollower();
        HttpReply put = follower.client().put("app/config/greeting", "hello from the API");
        assertThat(put.status()).isEqualTo(200);
        driver.get(follower.apiUrl() + "/ui/#keys");
        clickWhenReady(By.cssSelector("#tree button[data-folder='app/']"));
        clickWhenReady(By.cssSelector("#tree button[data-folder='app/config/']"));
        clickWhenReady(By.cssSelector("#tree button[data-key='app/config/greeting']"));
        waiting().until(ExpectedConditions.textToBe(By.id("value-text"), "hello from the API"));
        assertThat(driver.findElement(By.id("value-key")).getText()).isEqualTo("app/config/greeting");
        assertThat(driver.findElement(By.id("value-modify")).getText()).isEqualTo(put.json().path("index").asText());
        screenshot("2-key-browser");
    }

    @Test
    @Order(3)
    void when_aValueIsEditedInTheBrowser_then_theApiReadsTheEdit() throws IOException {
        needBrowser();
        openKeyInBrowser("app/config/greeting");
        driver.findElement(By.id("edit-btn")).click();
        WebElement editor = driver.findElement(By.id("editor"));
        editor.clear();
        editor.sendKeys("edited in the browser");
        screenshot("3-editing");
        driver.findElement(By.id("save-btn")).click();
        waiting().until(ExpectedConditions.textMatches(By.id("message"), Pattern.compile("^Saved app/config/greeting")));
        for (NodeProcess node : cluster.nodes()) {
            HttpReply read = node.client().get("app/config/greeting", "consistent");
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.text()).isEqualTo("edited in the browser");
        }
        waiting().until(ExpectedConditions.textToBe(By.id("value-text"), "edited in the browser"));
        screenshot("4-saved");
    }

    @Test
    @Order(4)
    void when_theKeyChangedSinceTheBrowserLoadedIt_then_theEditIsRefusedAndTheApiValueStays() throws IOException {
        needBrowser();
        openKeyInBrowser("app/config/greeting");
        driver.findElement(By.id("edit-btn")).click();
        assertThat(aFollower().client().put("app/config/greeting", "changed through the API").status()).isEqualTo(200);
        WebElement editor = driver.findElement(By.id("editor"));
        editor.clear();
        editor.sendKeys("a stale edit");
        driver.findElement(By.id("save-btn")).click();
        waiting().until(ExpectedConditions.textMatches(By.id("message"), Pattern.compile("^Not saved")));
        assertThat(cluster.awaitLeader().client().get("app/config/greeting", "consistent").text())
                .isEqualTo("changed through the API");
        waiting().until(ExpectedConditions.textToBe(By.id("value-text"), "changed through the API"));
        screenshot("5-cas-refused");
    }

    @Test
    @Order(5)
    void when_aBinaryValueIsShownAsHex_then_itsBytesAreListed() {
        needBrowser();
        NodeProcess leader = cluster.awaitLeader();
        assertThat(leader.client().send("PUT", "/v1/kv/app/blob", new byte[] {0, 1, (byte) 0xfe, (byte) 0xff, 'A'}).status())
                .isEqualTo(200);
        openKeyInBrowser("app/blob");
        waiting().until(d -> d.findElement(By.id("value-text")).getText().startsWith("00000000  00 01 fe ff 41"));
        assertThat(driver.findElement(By.cssSelector("input[name=format][value=hex]")).isSelected()).isTrue();
    }

    @Test
    @Order(6)
    void when_aKeyIsCreatedThenDeletedInTheBrowser_then_theApiSeesBoth() {
        needBrowser();
        NodeProcess leader = cluster.awaitLeader();
        driver.get(aFollower().apiUrl() + "/ui/#keys");
        clickWhenReady(By.cssSelector("#new-key summary"));
        driver.findElement(By.id("new-name")).sendKeys("app/made/in-browser");
        driver.findElement(By.id("new-value")).sendKeys("created in the browser");
        driver.findElement(By.cssSelector("#new-form button[type=submit]")).click();
        waiting().until(ExpectedConditions.textToBe(By.id("value-key"), "app/made/in-browser"));
        assertThat(leader.client().get("app/made/in-browser", "consistent").text()).isEqualTo("created in the browser");

        driver.findElement(By.id("delete-btn")).click();
        waiting().until(ExpectedConditions.alertIsPresent()).accept();
        waiting().until(ExpectedConditions.textMatches(By.id("message"), Pattern.compile("^Deleted app/made/in-browser")));
        assertThat(leader.client().get("app/made/in-browser", "consistent").status()).isEqualTo(404);
    }

    @Test
    @Order(7)
    void when_aSnapshotIsTakenFromTheBrowser_then_theResultIsShown() throws IOException {
        needBrowser();
        NodeProcess leader = cluster.awaitLeader();
        driver.get(leader.apiUrl() + "/ui/#snapshots");
        clickWhenReady(By.id("take-snapshot"));
        waiting().until(ExpectedConditions.textMatches(By.id("snapshot-result"), Pattern.compile("^Snapshot .* taken at index \\d+")));
        assertThat(driver.findElement(By.id("download-snapshot")).getAttribute("href")).endsWith("/v1/snapshot");
        screenshot("6-snapshots");
    }

    @Test
    @Order(8)
    void when_aClusterHasAclsOn_then_theUiAsksForATokenAndWorksWithIt() throws IOException {
        needBrowser();
        String management = "webui-management-token-" + Long.toHexString(System.nanoTime());
        ProcessCluster secured = clusters.start(1, ClusterOptions.defaults().withAclToken(management));
        NodeProcess node = secured.awaitLeader();
        assertThat(node.client().put("app/secured", "behind an ACL").status()).isEqualTo(200);

        driver.get(node.apiUrl() + "/ui/");
        waiting().until(ExpectedConditions.textMatches(By.id("node-line"), Pattern.compile(".*ACLs on: enter a token.*")));
        screenshot("7-acl-token-asked");
        WebElement field = driver.findElement(By.id("token"));
        field.clear();
        field.sendKeys(management);
        driver.findElement(By.id("token-btn")).click();
        waiting().until(ExpectedConditions.textToBe(By.id("leader-id"), node.id()));
        assertThat(driver.getCurrentUrl()).doesNotContain(management);

        driver.get(node.apiUrl() + "/ui/#keys");
        clickWhenReady(By.cssSelector("#tree button[data-folder='app/']"));
        clickWhenReady(By.cssSelector("#tree button[data-key='app/secured']"));
        waiting().until(ExpectedConditions.textToBe(By.id("value-text"), "behind an ACL"));
        screenshot("8-acl-key-browser");
    }

    // ---- serving the files: no browser needed -----------------------------------------

    @Test
    void when_theUiFilesAreAsked_then_theyComeWithTheirTypesAndCacheValidators() {
        NodeProcess node = cluster.nodes().getFirst();
        for (String[] file : new String[][] {
            {"/ui/", "text/html; charset=utf-8"},
            {"/ui/app.js", "text/javascript; charset=utf-8"},
            {"/ui/style.css", "text/css; charset=utf-8"},
            {"/ui/favicon.svg", "image/svg+xml"},
        }) {
            HttpReply reply = node.client().send("GET", file[0], null);
            assertThat(reply.status()).as(file[0]).isEqualTo(200);
            assertThat(reply.header("Content-Type")).as(file[0]).isEqualTo(file[1]);
            assertThat(reply.header("Cache-Control")).isEqualTo("no-cache");
            assertThat(reply.header("X-Content-Type-Options")).isEqualTo("nosniff");
            assertThat(reply.header("Content-Security-Policy")).contains("default-src 'none'").contains("script-src 'self'");
            String etag = reply.header("ETag");
            assertThat(etag).matches("\"[0-9a-f]{24}\"");
            RawHttp.Answer again = RawHttp.request(node.apiPort(), "GET", file[0], "If-None-Match: " + etag + "\r\n", null);
            assertThat(again.status()).as("revalidating " + file[0]).isEqualTo(304);
        }
        String page = node.client().send("GET", "/ui/", null).text();
        assertThat(page).doesNotContain("http://").doesNotContain("https://").doesNotContain("<script>");
        RawHttp.Answer bare = RawHttp.request(node.apiPort(), "GET", "/ui", null, null);
        assertThat(bare.status()).isEqualTo(308);
        assertThat(bare.response()).contains("Location: /ui/");
        assertThat(node.client().send("POST", "/ui/", new byte[0]).status()).isEqualTo(405);
    }

    @Test
    void when_aPathTriesToLeaveTheUi_then_itIsNotFoundAndNothingElseIsServed() {
        NodeProcess node = cluster.nodes().getFirst();
        for (String target : List.of("/ui/../v1/status", "/ui/..%2fv1%2fstatus", "/ui/%2e%2e/v1/status", "/ui/%2E%2E/%2E%2E/etc/passwd",
                "/ui/%252e%252e/%252e%252e/etc/passwd", "/ui/..%5c..%5cetc%5cpasswd", "/ui/....//....//etc/passwd",
                "/ui/./app.js", "/ui//app.js", "/ui/app.js%00.html", "/ui/%2e/app.js", "/ui/ui/app.js",
                "/ui/../../../../etc/passwd", "/ui/logback.xml", "/ui/../logback.xml", "/ui/dev/skiff/api/UiHandler.class",
                "/ui/%c0%ae%c0%ae/etc/passwd", "/ui/index.html/..", "/ui/.")) {
            RawHttp.Answer answer = RawHttp.request(node.apiPort(), "GET", target, null, null);
            assertThat(answer.status()).as(target).isIn(400, 404);
            assertThat(answer.response()).as(target)
                    .doesNotContain("root:").doesNotContain("\"commit_index\"").doesNotContain("<configuration>")
                    .doesNotContain("<!doctype html>");
        }
    }

    private static NodeProcess aFollower() {
        NodeProcess leader = cluster.awaitLeader();
        return cluster.nodes().stream().filter(n -> n != leader).findFirst().orElseThrow();
    }

    private static void openKeyInBrowser(String key) {
        driver.get(aFollower().apiUrl() + "/ui/#keys");
        WebElement prefix = waiting().until(ExpectedConditions.elementToBeClickable(By.id("prefix")));
        prefix.clear();
        prefix.sendKeys(key.substring(0, key.lastIndexOf('/') + 1) + "\n");
        clickWhenReady(By.cssSelector("#tree button[data-key='" + key + "']"));
        waiting().until(ExpectedConditions.textToBe(By.id("value-key"), key));
    }

    private static void clickWhenReady(By by) {
        waiting().until(ExpectedConditions.elementToBeClickable(by)).click();
    }
}
