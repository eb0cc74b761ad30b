module example.com/echotemplate

go 1.26
