module example.com/echotemplate

go 1.26.0

require (
	github.com/gorilla/websocket v1.5.3
	go.uber.org/goleak v1.3.0
	golang.org/x/time v0.16.0
)

require github.com/stretchr/testify v1.12.1 // indirect
