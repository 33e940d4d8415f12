// {{name}}: a TGO plugin (Go 1.18+, standard library only).
//
// It dials the host's Unix socket (TGO_SOCKET_PATH, default /var/run/tgo/tgo.sock), registers,
// then answers the host's requests until `shutdown`. Each message is a 4-byte big-endian length
// followed by UTF-8 JSON-RPC 2.0. Logs go to stderr: the host shows them.
//
//	visitor_panel/render  the visitor's id and language, and a "Say hello" button
//	visitor_panel/event   the button: a toast
//	chat_toolbar/render   a form to write a note
//	chat_toolbar/event    the form's submit: the note goes into the agent's message box
//
// The TGO web UI draws only text, key_value, table, button, group, tabs and form, and does not
// carry out `batch`: answer each event with one action.
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"time"
)

const pluginID = "com.example.{{name}}"

// M is a JSON object.
type M = map[string]any

type message struct {
	ID     json.RawMessage `json:"id,omitempty"`
	Method string          `json:"method,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  json.RawMessage `json:"error,omitempty"`
}

// params holds the fields of the host's params this plugin reads.
type params struct {
	VisitorID string         `json:"visitor_id"`
	Language  string         `json:"language"`
	EventType string         `json:"event_type"`
	ActionID  string         `json:"action_id"`
	FormData  map[string]any `json:"form_data"`
}

func ui(template string, data M) M { return M{"template": template, "data": data} }

func action(name string, data M) M { return M{"action": name, "data": data} }

var handlers = map[string]func(p params) any{
	"visitor_panel/render": func(p params) any {
		return ui("group", M{"items": []any{
			ui("key_value", M{"title": "Visitor", "items": []any{
				M{"label": "Visitor id", "value": p.VisitorID},
				M{"label": "Language", "value": p.Language},
			}}),
			ui("button", M{"label": "Say hello", "action_id": "greet", "type": "primary"}),
		}})
	},
	"visitor_panel/event": func(p params) any {
		if p.ActionID == "greet" {
			return action("show_toast", M{"message": fmt.Sprintf("Hello, %s!", p.VisitorID), "type": "success"})
		}
		return action("noop", M{})
	},
	"chat_toolbar/render": func(p params) any {
		return ui("form", M{"title": "Add a note", "action_id": "add_note", "submit_text": "Insert",
			"fields": []any{M{"name": "text", "label": "Note", "type": "textarea", "required": true,
				"placeholder": "Thanks for your patience!"}}})
	},
	"chat_toolbar/event": func(p params) any {
		if p.EventType == "form_submit" && p.ActionID == "add_note" {
			text, _ := p.FormData["text"].(string)
			return action("insert_text", M{"text": text, "replace": false})
		}
		return action("noop", M{})
	},
	"ping":     func(params) any { return M{"pong": true} },
	"shutdown": func(params) any { return M{"success": true} },
}

func send(w io.Writer, msg any) error {
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	frame := make([]byte, 4+len(body))
	binary.BigEndian.PutUint32(frame, uint32(len(body)))
	copy(frame[4:], body)
	_, err = w.Write(frame)
	return err
}

// errBrokeOff: the host closed the connection in the middle of a frame.
var errBrokeOff = errors.New("the host broke off in the middle of a frame")

func recv(r io.Reader) (message, error) {
	var msg message
	header := make([]byte, 4)
	if _, err := io.ReadFull(r, header); err != nil {
		if err == io.ErrUnexpectedEOF {
			return msg, errBrokeOff
		}
		return msg, err
	}
	body := make([]byte, binary.BigEndian.Uint32(header))
	if _, err := io.ReadFull(r, body); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return msg, errBrokeOff
		}
		return msg, err
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		// Not a JSON-RPC message (a host bug): an empty one, skipped, rather than a crash.
		log.Printf("ignored a frame that is not a JSON-RPC message: %v", err)
		return message{}, nil
	}
	return msg, nil
}

func main() {
	log.SetPrefix("[{{name}}] ")
	log.SetFlags(0)
	// A host that hangs up between frames is gone (or told us to stop); one that breaks off
	// in the middle of a frame may be back at once: dial again, a few times.
	for attempt := 1; attempt <= 5; attempt++ {
		err := serve()
		if !errors.Is(err, errBrokeOff) {
			if err != nil {
				log.Fatal(err)
			}
			return
		}
		log.Print(err, ": dialling again")
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	os.Exit(1)
}

// serve dials the host, registers and answers requests until `shutdown` or a hang-up.
func serve() error {
	path := os.Getenv("TGO_SOCKET_PATH")
	if path == "" {
		path = "/var/run/tgo/tgo.sock"
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	defer conn.Close()
	reader := bufio.NewReader(conn)
	err = send(conn, M{"jsonrpc": "2.0", "id": 1, "method": "register", "params": M{
		"id": pluginID, "name": "{{name}}", "version": "0.1.0",
		"capabilities": []any{
			M{"type": "visitor_panel", "title": "Visitor", "icon": "user"},
			M{"type": "chat_toolbar", "title": "Add a note", "icon": "sticky-note"},
		},
	}})
	if err != nil {
		return err
	}
	answer, err := recv(reader)
	if err != nil {
		return err
	}
	if answer.Error != nil {
		return fmt.Errorf("registration refused: %s", answer.Error)
	}
	log.Printf("registered: %s", answer.Result)

	for {
		req, err := recv(reader)
		if err == io.EOF {
			log.Print("the host closed the connection")
			return nil
		}
		if err != nil {
			return err
		}
		if req.Method == "" || req.ID == nil {
			continue // not a request: nothing to answer
		}
		handler, ok := handlers[req.Method]
		if !ok {
			err = send(conn, M{"jsonrpc": "2.0", "id": req.ID,
				"error": M{"code": -32601, "message": "Method not found: " + req.Method}})
		} else {
			var p params
			_ = json.Unmarshal(req.Params, &p) // missing or odd params: zero values
			err = send(conn, M{"jsonrpc": "2.0", "id": req.ID, "result": handler(p)})
		}
		if err != nil {
			return err
		}
		if req.Method == "shutdown" {
			return nil
		}
	}
}
