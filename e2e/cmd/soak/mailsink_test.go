package main

import (
	"context"
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
)

func TestMailSink(t *testing.T) {
	sink, err := startMailSink(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer sink.close()
	addr := strings.TrimPrefix(sink.url(), "smtp://")
	msg := "Message-ID: <abc@example.com>\r\nSubject: hi\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nsoak =3D 1\r\n"
	send := func() error {
		return smtp.SendMail(addr, nil, "from@example.com", []string{"to@example.com"}, []byte(msg))
	}

	sink.setFailing(true)
	err = send()
	var reply *textproto.Error
	if err == nil || !errors.As(err, &reply) || reply.Code != 451 {
		t.Fatalf("send while failing = %v, want a 451 reply", err)
	}
	sink.setFailing(false)
	if err := send(); err != nil {
		t.Fatalf("send = %v", err)
	}

	got := sink.mails()
	want := receivedMail{To: "to@example.com", MessageID: "abc@example.com", Body: "soak = 1"}
	if len(got) != 1 || got[0] != want {
		t.Errorf("mails = %+v, want [%+v]", got, want)
	}
	if n := sink.refusals(); n != 1 {
		t.Errorf("refusals = %d, want 1", n)
	}
}
