//! WebKit settings for a window of lists and buttons, applied to the webview once it is built:
//! no hardware acceleration (no GPU or software GL context: under Xvfb, or on a machine
//! without a GPU, compositing through software GL costs memory and frames), no page cache (the
//! window shows one page and never navigates back), and the document viewer's cache model
//! (WebKit's smallest memory caches: the UI is a local bundle, nothing to cache from the web).
//! Together with the DMA-BUF renderer turned off in `main.rs`, they keep the open window
//! within issue 12's 250 MiB PSS (see README, "Memory").

use tauri::{Runtime, WebviewWindow};

/// Applies the settings to `window`'s webview; a failure is logged (the window works without).
pub fn apply<R: Runtime>(window: &WebviewWindow<R>) {
    #[cfg(target_os = "linux")]
    if let Err(error) = window.with_webview(|webview| linux::apply(&webview.inner())) {
        tracing::warn!("cannot apply the webview's memory settings: {error}");
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

#[cfg(target_os = "linux")]
mod linux {
    use webkit2gtk::{
        CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
    };

    /// The settings, on WebKitGTK's own objects.
    pub fn apply(view: &webkit2gtk::WebView) {
        if let Some(settings) = WebViewExt::settings(view) {
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            settings.set_enable_page_cache(false);
        }
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        tracing::debug!("the webview runs without hardware acceleration and page cache");
    }
}
