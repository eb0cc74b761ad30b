package handlers

import (
	"net/http"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"example.com/echotemplate/api"
)

// addRoutes lists every route the service serves. api/openapi.yaml
// describes the same set; a contract test keeps the two in step.
func addRoutes(e *echo.Echo, cfg Config, deps Deps, codec *securecookie.SecureCookie) {
	// Cookies and headers.
	e.GET("/headers", handleHeaders())
	e.GET("/custom-headers", handleCustomHeaders())
	e.GET("/set-cookie", handleSetCookie(cfg.CookieSecure))
	e.GET("/set-signed-cookie", handleSetSignedCookie(codec, cfg.CookieSecure))
	e.GET("/read-signed-cookie", handleReadSignedCookie(codec))

	// Custom responses.
	e.GET("/redirect", handleRedirect(cfg.RedirectURL, cfg.RedirectAllowedHosts))

	// feature:websockets begin
	// WebSockets: the echo and the chat.
	e.GET("/ws", handleEcho(deps.WebSockets))
	e.GET("/chat", handleChat(deps.WebSockets))
	e.GET("/chat/members", handleChatMembers(deps.WebSockets))
	// feature:websockets end

	// feature:files begin
	// Files: uploads and downloads (internal/files).
	e.POST("/upload", handleUpload(deps.Files, cfg.Upload, cfg.UploadAllowedTypes, cfg.UploadPace, deps.Metrics))
	download := handleDownload(deps.Files, cfg.DownloadPace, cfg.PresignDownloads)
	e.GET("/download/:id", download)
	e.HEAD("/download/:id", download)
	sample := handleDownloadSample(cfg.DownloadPace)
	e.GET("/download", sample)
	e.HEAD("/download", sample)
	// feature:files end

	// The page and its assets.
	pageFiles := deps.Static
	if pageFiles == nil {
		pageFiles = http.NotFoundHandler()
	}
	page, assets := handleStatic(pageFiles, ""), handleStatic(pageFiles, "/static")
	e.GET("/", page)
	e.HEAD("/", page)
	e.GET("/static/*", assets)
	e.HEAD("/static/*", assets)

	// feature:tasks begin
	// Background tasks: the handler queues its job as its last step, so a
	// request that fails sends nothing.
	e.POST("/notify", handleNotify(deps.Tasks, deps.NotifyLimit))
	// feature:tasks end

	// Operations.
	e.GET("/healthz", deps.Health.handleLive())
	e.GET("/readyz", deps.Health.handleReady(deps.Log))
	e.GET("/openapi.yaml", handleOpenAPI())
	e.GET("/docs", handleDocsRedirect())
	e.GET("/docs/*", handleDocs())
	if !cfg.MetricsOnOwnListener {
		e.GET("/metrics", echo.WrapHandler(deps.Metrics.Handler()))
	}
}

func handleOpenAPI() echo.HandlerFunc {
	return func(c echo.Context) error {
		return c.Blob(http.StatusOK, "application/yaml", api.OpenAPI)
	}
}
